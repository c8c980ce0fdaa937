/**
 * A real PNG (signature, IHDR, IDAT, IEND with CRCs) for upload tests: w×h gray pixels, or an RGB
 * gradient (`gradient: true`) so a thumbnail has something to show.
 */
import zlib from 'node:zlib';

export function makePng(w = 2, h = 2, opts: { gradient?: boolean } = {}): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = opts.gradient ? 2 : 0; // RGB or grayscale
  const rows = Array.from({ length: h }, (_, y) =>
    Buffer.concat([Buffer.from([0]), opts.gradient ? Buffer.from(Array.from({ length: w }, (_, x) => [x * 4, y * 6, 160]).flat()) : Buffer.alloc(w, 0x80)]),
  );
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}
