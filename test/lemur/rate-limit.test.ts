import { expect, it } from 'vitest';
import { RateLimiter } from '../../src/lemur/rate-limit.js';

it('allows so many requests per project per window, then says when the window starts again', () => {
  const limiter = new RateLimiter(2, 60_000);
  expect(limiter.take('p', 0)).toEqual({ limit: 2, remaining: 1, resetSeconds: 60, allowed: true });
  expect(limiter.take('p', 10_000)).toEqual({ limit: 2, remaining: 0, resetSeconds: 50, allowed: true });
  expect(limiter.take('p', 59_500)).toEqual({ limit: 2, remaining: 0, resetSeconds: 1, allowed: false });
  expect(limiter.take('other', 59_500).allowed).toBe(true);
  expect(limiter.take('p', 60_000)).toEqual({ limit: 2, remaining: 1, resetSeconds: 60, allowed: true });
});
