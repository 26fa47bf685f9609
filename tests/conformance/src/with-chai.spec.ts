import { withChai } from './with-chai';

describe('withChai', () => {
  it('declares chai in the scripts that use it as a global, and touches nothing else', () => {
    const collection = {
      name: 'c',
      item: [
        { name: 'uses chai', event: [{ script: { exec: ['chai.expect(1).to.equal(1);'] } }] },
        { name: 'requires it', event: [{ script: { exec: ["var chai = require('chai');", 'chai.assert(true);'] } }] },
        { name: 'no chai', event: [{ script: { exec: ['pm.test("x", () => {});'] } }] },
        { name: 'folder', item: [{ name: 'nested', event: [{ script: { exec: ['chai.assert(true);'] } }] }] },
      ],
    };
    const { collection: patched, patched: count } = withChai(collection);
    expect(count).toBe(2);
    expect(patched.item?.[0]?.event?.[0]?.script?.exec).toEqual([
      "var chai = require('chai');",
      'chai.expect(1).to.equal(1);',
    ]);
    expect(patched.item?.[1]).toEqual(collection.item[1]);
    expect(patched.item?.[2]).toEqual(collection.item[2]);
    expect(patched.item?.[3]?.item?.[0]?.event?.[0]?.script?.exec?.[0]).toBe("var chai = require('chai');");
  });
});
