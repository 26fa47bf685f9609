module.exports = require('../../jest.project.js')(__dirname, 'db', { services: true });
