module.exports = require('../../jest.project.js')(__dirname, 'jobs', { services: true });
