import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { checkKey, BLOB_KEY, type BlobInfo, type BlobStore, type ByteRange } from './blobs.js';

export interface S3Location {
  bucket: string;
  /** Prepended to every key, without a trailing slash; '' for none. */
  prefix: string;
  /** A non-AWS server (MinIO, Garage, Ceph RGW, R2): addressed path-style. */
  endpoint: string | null;
}

/** Multipart parts held in memory while they are sent: partSize × queueSize bytes per upload under way. */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

const isNotFound = (err: unknown) =>
  err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404);

/** Blobs as objects in an S3-compatible store, so that every node of a fleet reads what any node wrote. */
export class S3BlobStore implements BlobStore {
  readonly shared = true;
  readonly client: S3Client;

  constructor(readonly location: S3Location) {
    // The SDK warns on Node 20 about its releases to come; package.json pins one that supports Node 20.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      // Credentials and, for AWS, the region come from the SDK's standard chain (AWS_ACCESS_KEY_ID, profiles, roles).
      ...(location.endpoint ? { endpoint: location.endpoint, forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' } : {}),
      // Checksums only where S3 requires them: several S3-compatible servers refuse the SDK's default trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private objectKey(key: string): string {
    return this.withPrefix(checkKey(key));
  }

  private withPrefix(key: string): string {
    return this.location.prefix ? `${this.location.prefix}/${key}` : key;
  }

  localPath(): null {
    return null;
  }

  async put(key: string, body: Iterable<Buffer> | AsyncIterable<Buffer> | Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: this.objectKey(key), Body: body instanceof Readable ? body : Readable.from(body) },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
    });
    // On failure lib-storage aborts the multipart upload, so no parts are left behind.
    await upload.done();
  }

  async get(key: string, range?: ByteRange): Promise<Readable | null> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.location.bucket,
          Key: this.objectKey(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async stat(key: string): Promise<BlobInfo | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }));
      return { size: out.ContentLength ?? 0, mtime: out.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }));
  }

  async *list(prefix: string): AsyncIterable<{ key: string; mtime: Date }> {
    const strip = this.withPrefix('').length;
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.location.bucket, Prefix: this.withPrefix(prefix) });
    for await (const page of pages) {
      for (const o of page.Contents ?? []) {
        const key = o.Key?.slice(strip);
        if (key && BLOB_KEY.test(key)) yield { key, mtime: o.LastModified ?? new Date(0) };
      }
    }
  }
}
