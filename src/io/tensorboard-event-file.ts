import { appendFileSync, closeSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';

/**
 * TensorBoard event files, written without TensorFlow: the record framing of TFRecord files and a hand-written
 * protobuf encoding of the few messages TensorBoard reads for scalars and images.
 *
 * A file is a sequence of records, each
 *
 *   uint64 LE  length of the data
 *   uint32 LE  masked CRC32C of those 8 length bytes
 *   bytes      data (one serialised tensorflow.Event)
 *   uint32 LE  masked CRC32C of the data
 *
 * where masking a CRC rotates it right by 15 bits and adds 0xa282ead8. The messages, with their field numbers as in
 * TensorFlow's tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto (TensorBoard keeps copies
 * under tensorboard/compat/proto/):
 *
 *   Event          { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary        { repeated Value value = 1; }
 *   Summary.Value  { string tag = 1; float simple_value = 2; Image image = 4; }
 *   Summary.Image  { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
 */

/** What the first event of every file says it is: TensorBoard checks the "brain.Event:" prefix. */
export const TENSORBOARD_FILE_VERSION = 'brain.Event:2';

/** Summary.Image colour spaces (summary.proto): 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
export type TensorBoardColorspace = 1 | 2 | 3 | 4;

// ---------------------------------------------------------------------------------------------------------------
// CRC32C (Castagnoli), reflected, table-driven.

/** The reflected Castagnoli polynomial. */
const CASTAGNOLI_REFLECTED = 0x82f63b78;

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? CASTAGNOLI_REFLECTED ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C of the bytes (initial value and final xor 0xffffffff), as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The masked form TFRecord stores: rotate right by 15 bits, add 0xa282ead8, modulo 2^32. */
export function maskCrc32c(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One framed record: length, masked CRC of the length, the data, masked CRC of the data. */
export function tensorboardRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskCrc32c(crc32c(out.subarray(0, 8))), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskCrc32c(crc32c(data)), 12 + data.length);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Protobuf wire format, just what the messages above need.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/**
 * A base-128 varint, least significant group first. Negative integers are taken as their 64-bit two's complement
 * (ten bytes), as protobuf encodes negative int32 and int64 values.
 */
export function encodeVarint(value: number | bigint): Buffer {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new MicflowError('invalid-argument', `TensorBoard event: ${value} is not an integer a protobuf varint can hold exactly`);
  }
  let rest = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest ? low | 0x80 : low);
  } while (rest);
  return Buffer.from(bytes);
}

function key(field: number, wireType: number): Buffer {
  return encodeVarint(field * 8 + wireType);
}

function varintField(field: number, value: number): Buffer {
  return Buffer.concat([key(field, WIRE_VARINT), encodeVarint(value)]);
}

function doubleField(field: number, value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  return Buffer.concat([key(field, WIRE_FIXED64), bytes]);
}

function floatField(field: number, value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeFloatLE(value);
  return Buffer.concat([key(field, WIRE_FIXED32), bytes]);
}

function bytesField(field: number, value: Uint8Array): Buffer {
  return Buffer.concat([key(field, WIRE_LENGTH_DELIMITED), encodeVarint(value.length), value]);
}

function stringField(field: number, value: string): Buffer {
  return bytesField(field, Buffer.from(value, 'utf8'));
}

// ---------------------------------------------------------------------------------------------------------------
// Events.

/** A scalar summary value: TensorBoard's Scalars tab draws one curve per tag. */
export interface TensorBoardScalar {
  readonly tag: string;
  /** Stored as float32 (`simple_value`). */
  readonly value: number;
}

/** An image summary value: encoded image bytes (PNG here) with their size, for TensorBoard's Images tab. */
export interface TensorBoardImage {
  readonly tag: string;
  readonly width: number;
  readonly height: number;
  readonly colorspace: TensorBoardColorspace;
  readonly encoded: Uint8Array;
}

function eventHead(wallTime: number, step: number): Buffer[] {
  return [doubleField(1, wallTime), varintField(2, step)];
}

function summaryField(values: readonly Buffer[]): Buffer {
  return bytesField(5, Buffer.concat(values.map((value) => bytesField(1, value))));
}

/**
 * The Event that opens a file: its wall time and `file_version` "brain.Event:2" (step 0). `wallTime` is in seconds
 * since the Unix epoch, fractions allowed.
 */
export function encodeFileVersionEvent(wallTime: number): Buffer {
  return Buffer.concat([...eventHead(wallTime, 0), stringField(3, TENSORBOARD_FILE_VERSION)]);
}

/** An Event holding one Summary with a `simple_value` per scalar, all at `step`. */
export function encodeScalarEvent(wallTime: number, step: number, scalars: readonly TensorBoardScalar[]): Buffer {
  // simple_value sits in a oneof, so it is written even when 0: without it TensorBoard would see a value of no kind.
  return Buffer.concat([...eventHead(wallTime, step), summaryField(scalars.map((s) => Buffer.concat([stringField(1, s.tag), floatField(2, s.value)])))]);
}

/** An Event holding one Summary with one image value at `step`. */
export function encodeImageEvent(wallTime: number, step: number, image: TensorBoardImage): Buffer {
  for (const [name, n] of [['width', image.width], ['height', image.height]] as const) {
    if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) {
      throw new MicflowError('invalid-argument', `TensorBoard image ${image.tag}: ${name} ${n} is not a positive 32-bit integer`);
    }
  }
  const picture = Buffer.concat([varintField(1, image.height), varintField(2, image.width), varintField(3, image.colorspace), bytesField(4, image.encoded)]);
  return Buffer.concat([...eventHead(wallTime, step), summaryField([Buffer.concat([stringField(1, image.tag), bytesField(4, picture)])])]);
}

// ---------------------------------------------------------------------------------------------------------------
// The file.

export interface TensorBoardEventFileOptions {
  /** Host name in the file name (default: this machine's). */
  readonly hostname?: string;
  /** Seconds since the epoch, for the file name and the first event (default: now). */
  readonly wallTime?: number;
}

/**
 * An event file in `directory`, named `events.out.tfevents.<unix seconds>.<hostname>.micflow` (TensorBoard reads
 * every file whose name contains "tfevents", in name order, so a later file sorts after an earlier one). Created at
 * once with its file_version event; every event after is appended synchronously, so a crash loses at most the event
 * being written. A second file in the same folder (a resumed run) never overwrites the first: when the name is taken,
 * the seconds count on.
 */
export class TensorBoardEventFile {
  readonly file: string;

  constructor(directory: string, options: TensorBoardEventFileOptions = {}) {
    const wallTime = options.wallTime ?? Date.now() / 1000;
    const host = (options.hostname ?? hostname()).replace(/[/\\]/g, '_') || 'localhost';
    const first = tensorboardRecord(encodeFileVersionEvent(wallTime));
    for (let seconds = Math.floor(wallTime); ; seconds++) {
      const file = path.join(directory, `events.out.tfevents.${seconds}.${host}.micflow`);
      let fd: number;
      try {
        fd = openSync(file, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new MicflowError('invalid-data', `Could not create TensorBoard event file ${file}: ${(error as Error).message}`);
      }
      try {
        writeSync(fd, first);
      } catch (error) {
        throw new MicflowError('invalid-data', `Could not write TensorBoard event file ${file}: ${(error as Error).message}`);
      } finally {
        closeSync(fd);
      }
      this.file = file;
      return;
    }
  }

  /** Appends one serialised Event, framed as a record. */
  append(event: Uint8Array): void {
    try {
      appendFileSync(this.file, tensorboardRecord(event));
    } catch (error) {
      throw new MicflowError('invalid-data', `Could not write TensorBoard event file ${this.file}: ${(error as Error).message}`);
    }
  }

  /** Appends the scalars as one event at `step` (nothing when there are none). */
  writeScalars(step: number, scalars: readonly TensorBoardScalar[], wallTime = Date.now() / 1000): void {
    if (scalars.length) this.append(encodeScalarEvent(wallTime, step, scalars));
  }

  /** Appends the image as one event at `step`. */
  writeImage(step: number, image: TensorBoardImage, wallTime = Date.now() / 1000): void {
    this.append(encodeImageEvent(wallTime, step, image));
  }
}
