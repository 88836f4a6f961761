import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTableMarkdown, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('is documented in the README, in one table that matches the code', () => {
    const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(configTableMarkdown().trim());
  });

  it('reads environment variables, lets flags win, and rejects bad values by name', () => {
    const config = loadConfig({ port: '9000' }, { EARSHOT_PORT: '8000', EARSHOT_PUBLIC: 'yes', EARSHOT_CONCURRENCY: '3' });
    expect(config.port).toBe(9000);
    expect(config.publicMode).toBe(true);
    expect(config.concurrency).toBe(3);
    expect(config.databaseUrl).toBeNull();
    expect(() => loadConfig({}, { EARSHOT_PORT: 'eighty' })).toThrow(/EARSHOT_PORT/);
    expect(() => loadConfig({}, { EARSHOT_PUBLIC: 'maybe' })).toThrow(/EARSHOT_PUBLIC/);
  });
});
