/**
 * Stand-in for `@smithy/core/checksum` in the Lambda bundle only, swapped in
 * by the esbuild alias in infra/lambda-bundling.ts. The two SDK clients take
 * only `Sha256` from it (to sign requests); the module also carries a
 * pure-JS SHA-256, CRC32 and MD5 for runtimes without node:crypto (about
 * 5 KB minified). This is the SDK's own node:crypto class, alone.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

type Data = string | ArrayBuffer | ArrayBufferView;

const toBuffer = (data: Data): string | Buffer =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256, or HMAC-SHA256 with a secret, as the SDK's `Checksum` interface wants it. */
export class Sha256 {
  /** Bytes in a digest. */
  readonly digestLength = 32;
  private readonly secret: Data | undefined;
  private hash: Hash | Hmac;
  private finished = false;

  constructor(secret?: Data) {
    this.secret = secret;
    this.hash = this.create();
  }

  /** Adds `data`. */
  update(data: Data): void {
    if (this.finished) throw new Error('Attempted to update an already finished hash.');
    this.hash.update(toBuffer(data));
  }

  /** The digest; an HMAC can be digested once, a plain hash again after more updates. */
  async digest(): Promise<Uint8Array> {
    let out: Buffer;
    if (this.secret) {
      this.finished = true;
      out = this.hash.digest();
    } else {
      out = (this.hash as Hash).copy().digest();
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  /** Starts over. */
  reset(): void {
    this.hash = this.create();
    this.finished = false;
  }

  private create(): Hash | Hmac {
    return this.secret ? createHmac('sha256', toBuffer(this.secret)) : createHash('sha256');
  }
}
