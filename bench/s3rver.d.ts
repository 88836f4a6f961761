/** The part of s3rver 3's API the tests use (the package ships no types). */
declare module 's3rver' {
  interface Options {
    address?: string;
    port?: number;
    silent?: boolean;
    directory: string;
    configureBuckets?: { name: string }[];
  }
  export default class S3rver {
    constructor(opts: Options);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
