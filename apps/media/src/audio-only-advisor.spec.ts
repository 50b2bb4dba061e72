import { describe, expect, it } from '@jest/globals';
import { AudioOnlyAdvisor } from './audio-only-advisor';

describe('audio-only advice', () => {
  it('suggests audio-only once a low score lasted 10 s, once per low spell', () => {
    const a = new AudioOnlyAdvisor();
    expect(a.observe([2, 3], 0)).toBeNull();
    expect(a.observe([2, 3], 9_000)).toBeNull();
    expect(a.observe([2, 3], 10_000)).toBe(2.5);
    expect(a.observe([1], 20_000)).toBeNull(); // already said
    expect(a.observe([5], 21_000)).toBeNull(); // middling: not recovered
    expect(a.observe([1], 22_000)).toBeNull();
    expect(a.observe([9], 23_000)).toBeNull(); // recovered: re-armed
    expect(a.observe([2], 24_000)).toBeNull();
    expect(a.observe([2], 34_000)).toBe(2);
  });

  it('resets the clock when the score recovers or nothing is received', () => {
    const a = new AudioOnlyAdvisor();
    a.observe([1], 0);
    a.observe([8], 5_000);
    expect(a.observe([1], 12_000)).toBeNull();
    a.observe([], 13_000);
    expect(a.observe([1], 20_000)).toBeNull();
    expect(a.observe([1], 30_000)).toBe(1);
  });
});
