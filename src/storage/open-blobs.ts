import { parseStorageUrl, type Config } from '../config.js';
import { FileBlobStore, type BlobStore } from './blobs.js';

/** The blob store the configuration names. */
export async function openBlobStore(config: Pick<Config, 'dataDir' | 'storageUrl' | 's3Endpoint'>): Promise<BlobStore> {
  const where = config.storageUrl ? parseStorageUrl(config.storageUrl) : { kind: 'file' as const, dir: config.dataDir };
  if (where.kind === 'file') return new FileBlobStore(where.dir);
  // Loaded only here: the AWS SDK costs a node on local disk seconds of start-up and 20 MB.
  const { S3BlobStore } = await import('./s3-blobs.js');
  return new S3BlobStore({ bucket: where.bucket, prefix: where.prefix, endpoint: config.s3Endpoint });
}
