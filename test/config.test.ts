import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTableMarkdown, loadConfig, parseStorageUrl } from '../src/config.js';

describe('configuration', () => {
  it('is documented in docs/configuration.md, in one table that matches the code', () => {
    const readme = fs.readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
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
    expect(() => loadConfig({}, { EARSHOT_STREAMING_SPEAKER_THRESHOLD: '1.5' })).toThrow(
      /EARSHOT_STREAMING_SPEAKER_THRESHOLD.*from 0 to 1/,
    );
  });

  it('takes a file:// or s3:// storage URL and refuses anything else by name', () => {
    expect(loadConfig({}, {}).storageUrl).toBeNull();
    expect(loadConfig({ storageUrl: 's3://bucket/a/b' }, {}).storageUrl).toBe('s3://bucket/a/b');
    expect(parseStorageUrl('s3://my-bucket')).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: '' });
    expect(parseStorageUrl('s3://my-bucket//earshot/prod/')).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: 'earshot/prod' });
    expect(parseStorageUrl('file:///srv/earshot')).toEqual({ kind: 'file', dir: '/srv/earshot' });
    for (const bad of ['/srv/earshot', 'http://minio:9000/bucket', 's3://', 's3://key:secret@bucket', 's3://bucket?region=x']) {
      expect(() => loadConfig({}, { EARSHOT_STORAGE_URL: bad })).toThrow(
        /EARSHOT_STORAGE_URL \/ --storage-url: expected file:\/\/\/DIR or s3:\/\/BUCKET/,
      );
    }
  });
});
