import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startScratchS3, type ScratchS3 } from '../../bench/s3.js';
import { FileBlobStore, type BlobStore } from '../../src/storage/blobs.js';
import { S3BlobStore } from '../../src/storage/s3-blobs.js';

/** A scratch S3 server (bench/s3.ts) that also lists its bucket, for assertions. */
export interface TestS3 extends ScratchS3 {
  /** Every object key in the bucket, sorted. */
  keys(): Promise<string[]>;
}

export async function startS3(): Promise<TestS3> {
  const s3 = await startScratchS3();
  const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: s3.credentials });
  return {
    ...s3,
    async keys() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, ContinuationToken: token }));
        for (const o of page.Contents ?? []) keys.push(o.Key!);
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async close() {
      client.destroy();
      await s3.close();
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
