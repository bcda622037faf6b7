/**
 * An order-independent digest of a multiset of 256-bit digests: their sum modulo 2^256. Unlike XOR, a
 * point present twice does not cancel out, and adding the same points in any order gives the same sum.
 */
export class MultisetSum {
  // Eight 32-bit words, most significant first (the digest read as a big-endian integer).
  private readonly words = new Uint32Array(8);

  add(digest: Buffer): void {
    let carry = 0;
    for (let i = 7; i >= 0; i--) {
      const sum = this.words[i]! + digest.readUInt32BE(4 * i) + carry;
      this.words[i] = sum >>> 0;
      carry = sum > 0xffffffff ? 1 : 0;
    }
  }

  hex(): string {
    return Array.from(this.words, (word) => word.toString(16).padStart(8, '0')).join('');
  }
}
