import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32c } from '@aws-crypto/crc32c';
import protobuf from 'protobufjs';

/**
 * A reader of TensorBoard event files that shares nothing with micflow's writer: CRC32C from @aws-crypto/crc32c,
 * protobuf decoding by protobufjs from the message definitions in test/fixtures/tensorboard/ (TensorFlow's field
 * numbers), the record framing and the CRC mask read off TensorFlow's record format.
 */

const root = protobuf.loadSync(path.resolve(import.meta.dirname, '../fixtures/tensorboard/event.proto'));
const EventMessage = root.lookupType('tensorflow.Event');

export interface DecodedImage {
  readonly height: number;
  readonly width: number;
  readonly colorspace: number;
  readonly encodedImageString: Uint8Array;
}

export interface DecodedValue {
  readonly tag: string;
  readonly simpleValue?: number;
  readonly image?: DecodedImage;
}

export interface DecodedEvent {
  readonly wallTime: number;
  readonly step: number;
  readonly fileVersion?: string;
  readonly summary?: { readonly value: readonly DecodedValue[] };
}

/** TFRecord's mask of a CRC, computed with BigInt arithmetic so that it does not lean on the writer's bit tricks. */
export function referenceMask(crc: number): number {
  const c = BigInt(crc);
  const rotated = ((c >> 15n) | (c << 17n)) & 0xffffffffn;
  return Number((rotated + 0xa282ead8n) & 0xffffffffn);
}

/** The records' data, each checked against both of its CRCs; throws naming the record and the CRC that disagrees. */
export function readRecords(bytes: Uint8Array): Buffer[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Buffer[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const index = records.length;
    if (offset + 12 > buffer.length) throw new Error(`record ${index}: truncated header`);
    const lengthBytes = buffer.subarray(offset, offset + 8);
    const length = Number(buffer.readBigUInt64LE(offset));
    if (buffer.readUInt32LE(offset + 8) !== referenceMask(crc32c(lengthBytes))) throw new Error(`record ${index}: length CRC mismatch`);
    const start = offset + 12;
    if (start + length + 4 > buffer.length) throw new Error(`record ${index}: truncated data`);
    const data = buffer.subarray(start, start + length);
    if (buffer.readUInt32LE(start + length) !== referenceMask(crc32c(data))) throw new Error(`record ${index}: data CRC mismatch`);
    records.push(data);
    offset = start + length + 4;
  }
  return records;
}

export function decodeEvent(data: Uint8Array): DecodedEvent {
  const message = EventMessage.decode(data);
  return EventMessage.toObject(message, { longs: Number, bytes: Buffer, defaults: false, oneofs: false }) as unknown as DecodedEvent;
}

export function readEventFile(file: string): DecodedEvent[] {
  return readRecords(readFileSync(file)).map(decodeEvent);
}

/** Every scalar as "tag@step" → value. */
export function scalarsOf(events: readonly DecodedEvent[]): Map<string, number> {
  const scalars = new Map<string, number>();
  for (const event of events) {
    for (const value of event.summary?.value ?? []) {
      if (value.simpleValue !== undefined) scalars.set(`${value.tag}@${event.step ?? 0}`, value.simpleValue);
    }
  }
  return scalars;
}
