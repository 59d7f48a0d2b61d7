import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deriveStoreKeys,
  seal,
  unseal,
} from '../../../functions/token-broker/store/token-crypto.ts';

const keys = deriveStoreKeys('L4y0ut-T3st-S3cr3t-0f-At-L3ast-32-Ch4rs!!');
const AAD = 't#acct#p/d';

/**
 * A 28-byte blob (one short of version + IV + tag) that AES-GCM would accept
 * if its fields were read anyway: the IV's last byte and the tag's first byte
 * are the same byte, and the body is empty. Only the length check refuses it,
 * so it shows that check is load-bearing and not a mere fast path. IVs are
 * tried in order (deterministic) until the tag's first byte matches; one in
 * 256 does.
 */
function overlappingBlob(key: Buffer, aad: string): Uint8Array {
  for (let n = 0; n < 65_536; n++) {
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(n, 8);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    cipher.final();
    const tag = cipher.getAuthTag();
    if (tag[0] === iv[11]) return Buffer.concat([Buffer.of(1), iv, tag.subarray(1)]);
  }
  throw new Error('no overlapping IV found');
}

describe('unseal: the blob layout', () => {
  it('fails when the blob is shorter than version, IV and tag, even one that would authenticate', () => {
    // Prepare
    const blob = overlappingBlob(keys.encryptionKey, AAD);
    // Act
    const opened = unseal(keys.encryptionKey, blob, AAD);
    // Assess
    expect(blob).toHaveLength(1 + 12 + 16 - 1);
    expect(opened).toBeUndefined();
  });

  it('round-trips text outside ASCII, so both sides agree on UTF-8', () => {
    // Prepare
    const text = 'ünïcode € 设备 🔑';
    const aad = 't#acct#p/设备';
    // Act
    const sealed = seal(keys.encryptionKey, text, aad);
    // Assess
    expect(unseal(keys.encryptionKey, sealed, aad)).toBe(text);
    expect(sealed).toHaveLength(1 + 12 + Buffer.byteLength(text, 'utf8') + 16);
  });
});
