import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { freePort } from '../src/net/free-port.js';

/** An S3-protocol server (s3rver, a devDependency) on a free loopback port with one empty bucket, for tests and benchmarks. */
export interface ScratchS3 {
  endpoint: string;
  bucket: string;
  /** s3rver checks signatures against this one built-in key pair. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** What an Earshot server needs to keep its blobs here, under `prefix`. */
  env(prefix?: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startScratchS3(): Promise<ScratchS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-s3-'));
  const bucket = 'earshot-test';
  const port = await freePort();
  const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
  await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    endpoint,
    bucket,
    credentials,
    env: (prefix = 'earshot') => ({
      EARSHOT_STORAGE_URL: `s3://${bucket}/${prefix}`,
      EARSHOT_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
    }),
    async close() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
