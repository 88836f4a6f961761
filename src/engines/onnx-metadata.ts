import { open } from 'node:fs/promises';

/**
 * An ONNX model's `metadata_props` (ModelProto field 14), which onnxruntime-node does not expose. Only the top level of
 * the protobuf is walked, with positional reads: the graph (field 7, most of the file) is skipped by seeking, so a
 * model of gigabytes costs a few small reads, where a protobuf library would want the whole file in memory.
 */
export async function onnxMetadata(file: string): Promise<Record<string, string>> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const out: Record<string, string> = {};
    const head = Buffer.alloc(20);
    let pos = 0;
    while (pos < size) {
      const { bytesRead } = await fh.read(head, 0, head.length, pos);
      const bad = (why: string) => new Error(`${file}: not an ONNX model (${why} at byte ${pos})`);
      const tag = varint(head.subarray(0, bytesRead), 0);
      if (!tag) throw bad('truncated field');
      const wire = tag.value % 8;
      const second = varint(head.subarray(0, bytesRead), tag.next);
      if (!second) throw bad('truncated field');
      if (wire === 0) {
        pos += second.next;
        continue;
      }
      if (wire !== 2) throw bad(`wire type ${wire}`);
      const start = pos + second.next;
      if (tag.value >>> 3 === 14) {
        const buf = Buffer.alloc(second.value);
        await fh.read(buf, 0, buf.length, start);
        Object.assign(out, entry(buf));
      }
      pos = start + second.value;
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** The base-128 varint at `at`, and where the next field starts; null when `buf` ends inside it. */
function varint(buf: Buffer, at: number): { value: number; next: number } | null {
  let value = 0;
  for (let shift = 0; at < buf.length; shift += 7) {
    const b = buf[at++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return { value, next: at };
  }
  return null;
}

/** One StringStringEntryProto: key (field 1) and value (field 2), both strings. */
function entry(buf: Buffer): Record<string, string> {
  const fields: Record<number, string> = {};
  for (let at = 0; at < buf.length; ) {
    const tag = varint(buf, at);
    const length = tag && varint(buf, tag.next);
    if (!length) break;
    fields[tag.value >>> 3] = buf.toString('utf8', length.next, length.next + length.value);
    at = length.next + length.value;
  }
  return fields[1] ? { [fields[1]]: fields[2] ?? '' } : {};
}
