import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { freePort } from '../../src/net/free-port.js';
import { FileBlobStore, type BlobStore } from '../../src/storage/blobs.js';
import { S3BlobStore } from '../../src/storage/s3-blobs.js';

/** An S3-protocol server (s3rver) on a free loopback port, with one empty bucket. */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** What an Earshot server needs to keep its blobs here, under `prefix`. */
  env(prefix?: string): Record<string, string>;
  /** Every object key in the bucket, sorted. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

// s3rver checks signatures against this one built-in key pair.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startS3(): Promise<TestS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-s3-'));
  const bucket = 'earshot-test';
  const port = await freePort();
  const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
  await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: CREDENTIALS });
  return {
    endpoint,
    bucket,
    env: (prefix = 'earshot') => ({
      EARSHOT_STORAGE_URL: `s3://${bucket}/${prefix}`,
      EARSHOT_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    }),
    async keys() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        for (const o of page.Contents ?? []) keys.push(o.Key!);
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async close() {
      client.destroy();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

export type BlobKind = 'file' | 's3';
export const BLOB_KINDS: BlobKind[] = ['file', 's3'];

/** A blob store of either kind for storage tests: a temporary directory, or a prefix on a fresh S3 server. */
export async function testBlobStore(kind: BlobKind): Promise<{ store: BlobStore; dir: string; s3: TestS3 | null; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-blobs-'));
  const s3 = kind === 's3' ? await startS3() : null;
  // The SDK's credential chain reads them from the environment, as a server's would.
  if (s3) Object.assign(process.env, s3.env());
  const store = s3 ? new S3BlobStore({ bucket: s3.bucket, prefix: 'unit/test', endpoint: s3.endpoint }) : new FileBlobStore(dir);
  return {
    store,
    dir,
    s3,
    async close() {
      await s3?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
