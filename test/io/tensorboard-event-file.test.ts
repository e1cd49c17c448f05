import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c as referenceCrc32c } from '@aws-crypto/crc32c';
import { afterAll, describe, expect, it } from 'vitest';
import {
  crc32c,
  encodeImageEvent,
  encodeScalarEvent,
  encodeVarint,
  maskCrc32c,
  TensorBoardEventFile,
  tensorboardRecord,
} from '../../src/io/tensorboard-event-file.js';
import { decodeEvent, readEventFile, readRecords, referenceMask } from './tensorboard-test-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-tfevents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic pseudo-random bytes (a linear congruential generator), so a failure can be replayed. */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

describe('crc32c', () => {
  describe('having the standard check input "123456789"', () => {
    it('should give the Castagnoli check value 0xE3069283', () => {
      expect(crc32c(Buffer.from('123456789', 'ascii'))).toBe(0xe3069283);
    });
  });

  describe('having random buffers of many lengths', () => {
    it('should agree with @aws-crypto/crc32c', () => {
      for (const [k, length] of [0, 1, 3, 8, 31, 255, 1024, 4099].entries()) {
        const bytes = randomBytes(length, 17 + k);
        expect(crc32c(bytes), `length ${length}`).toBe(referenceCrc32c(bytes));
      }
    });
  });
});

describe('maskCrc32c', () => {
  describe('having the CRC 0x12345678', () => {
    it('should rotate it right by 15 bits and add 0xa282ead8 modulo 2^32', () => {
      // 0x12345678 = 0001 0010 0011 0100 0101 0110 0111 1000. Rotated right by 15: the low 15 bits
      // 101 0110 0111 1000 (0x5678) move to the top, giving 0xACF02468; 0xACF02468 + 0xA282EAD8 = 0x14F730F40 → 0x4F730F40.
      expect(maskCrc32c(0x12345678)).toBe(0x4f730f40);
      expect(referenceMask(0x12345678)).toBe(0x4f730f40);
    });
  });

  describe('having random CRCs', () => {
    it('should agree with a BigInt computation of the mask', () => {
      for (let i = 0; i < 200; i++) {
        const crc = referenceCrc32c(randomBytes(16, i));
        expect(maskCrc32c(crc)).toBe(referenceMask(crc));
      }
    });
  });
});

describe('encodeVarint', () => {
  it('should encode protobuf varints: 1, 150, 2^32 and −1 as ten bytes of two\'s complement', () => {
    // 150 = 1001 0110 → 0x96 0x01 (the protobuf encoding guide's example)
    expect([...encodeVarint(1)]).toEqual([0x01]);
    expect([...encodeVarint(150)]).toEqual([0x96, 0x01]);
    expect([...encodeVarint(2 ** 32)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  describe('when the number is not an integer', () => {
    it('should refuse with invalid-argument', () => {
      expect(() => encodeVarint(1.5)).toThrow(expect.objectContaining({ kind: 'invalid-argument' }));
    });
  });
});

describe('tensorboardRecord', () => {
  describe('having three bytes of data', () => {
    const data = Uint8Array.of(1, 2, 3);
    const record = tensorboardRecord(data);

    it('should frame them as length, masked CRC of the length, data, masked CRC of the data (little-endian)', () => {
      expect(record.length).toBe(8 + 4 + 3 + 4);
      expect([...record.subarray(0, 8)]).toEqual([3, 0, 0, 0, 0, 0, 0, 0]);
      expect(record.readUInt32LE(8)).toBe(referenceMask(referenceCrc32c(Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0))));
      expect([...record.subarray(12, 15)]).toEqual([1, 2, 3]);
      expect(record.readUInt32LE(15)).toBe(referenceMask(referenceCrc32c(data)));
      expect(readRecords(record).map((r) => [...r])).toEqual([[1, 2, 3]]);
    });

    describe('when any byte of the record is flipped', () => {
      it('should be caught by the reader\'s CRC checks', () => {
        for (let i = 0; i < record.length; i++) {
          const damaged = Buffer.from(record);
          damaged[i] ^= 0x20;
          // A flipped length byte may also make the record look truncated: either way the reader refuses it.
          expect(() => readRecords(damaged), `byte ${i}`).toThrow(/CRC mismatch|truncated/);
        }
      });
    });
  });
});

describe('encoded events', () => {
  describe('having a scalar event with a zero, a negative and a non-float32 value', () => {
    it('should decode with protobufjs to the wall time, step, tags and float32 values', () => {
      const event = decodeEvent(
        encodeScalarEvent(1700000000.25, 123456789012, [
          { tag: 'loss/dice', value: 0 },
          { tag: 'lr', value: -0.1 },
          { tag: 'x/ü', value: 1 / 3 },
        ]),
      );
      expect(event.wallTime).toBe(1700000000.25);
      expect(event.step).toBe(123456789012);
      expect(event.fileVersion).toBeUndefined();
      expect(event.summary?.value).toEqual([
        { tag: 'loss/dice', simpleValue: 0 },
        { tag: 'lr', simpleValue: Math.fround(-0.1) },
        { tag: 'x/ü', simpleValue: Math.fround(1 / 3) },
      ]);
    });
  });

  describe('having an image event', () => {
    it('should decode to the tag, size, colour space and the very bytes', () => {
      const encoded = randomBytes(300, 5);
      const event = decodeEvent(encodeImageEvent(12.5, 7, { tag: 'overlay/validate/case1', width: 96, height: 32, colorspace: 3, encoded }));
      expect(event.step).toBe(7);
      const [value] = event.summary!.value;
      expect(value.tag).toBe('overlay/validate/case1');
      expect(value.simpleValue).toBeUndefined();
      expect(value.image).toMatchObject({ width: 96, height: 32, colorspace: 3 });
      expect([...value.image!.encodedImageString]).toEqual([...encoded]);
    });

    describe('when the width is 0', () => {
      it('should refuse naming the tag', () => {
        expect(() => encodeImageEvent(0, 1, { tag: 'overlay/x', width: 0, height: 2, colorspace: 3, encoded: new Uint8Array(0) })).toThrow(/overlay\/x: width 0/);
      });
    });
  });
});

describe('TensorBoardEventFile', () => {
  describe('having a new file with two scalar events', () => {
    it('should be named events.out.tfevents.<seconds>.<host>.micflow and start with file_version brain.Event:2', () => {
      const folder = mkdtempSync(join(dir, 'file-'));
      const events = new TensorBoardEventFile(folder, { hostname: 'box', wallTime: 1700000123.75 });
      expect(events.file).toBe(join(folder, 'events.out.tfevents.1700000123.box.micflow'));
      events.writeScalars(1, [{ tag: 'a', value: 0.5 }], 1700000124);
      events.writeScalars(2, [], 1700000125);
      events.writeScalars(3, [{ tag: 'a', value: 0.25 }], 1700000126);
      const decoded = readEventFile(events.file);
      expect(decoded.map((e) => [e.wallTime, e.step ?? 0, e.fileVersion])).toEqual([
        [1700000123.75, 0, 'brain.Event:2'],
        [1700000124, 1, undefined],
        [1700000126, 3, undefined],
      ]);
    });
  });

  describe('when a second file is started in the same second (a resumed run)', () => {
    it('should take the next second\'s name, leaving the first file as it was', () => {
      const folder = mkdtempSync(join(dir, 'twice-'));
      const first = new TensorBoardEventFile(folder, { hostname: 'box', wallTime: 100.5 });
      const before = readFileSync(first.file);
      const second = new TensorBoardEventFile(folder, { hostname: 'box', wallTime: 100.9 });
      expect(readdirSync(folder).sort()).toEqual(['events.out.tfevents.100.box.micflow', 'events.out.tfevents.101.box.micflow']);
      expect(second.file).not.toBe(first.file);
      expect(readFileSync(first.file).equals(before)).toBe(true);
    });
  });

  describe('when the folder does not exist', () => {
    it('should fail with invalid-data naming the file', () => {
      const folder = join(dir, 'missing', 'deeper');
      expect(() => new TensorBoardEventFile(folder, { hostname: 'box', wallTime: 5 })).toThrow(
        expect.objectContaining({ kind: 'invalid-data', message: expect.stringContaining(join(folder, 'events.out.tfevents.5.box.micflow')) }),
      );
    });
  });

  describe('when its folder has been removed', () => {
    it('should fail to append with invalid-data naming the file', () => {
      const folder = mkdtempSync(join(dir, 'gone-'));
      const events = new TensorBoardEventFile(folder, { hostname: 'box', wallTime: 5 });
      rmSync(folder, { recursive: true });
      expect(() => events.writeScalars(1, [{ tag: 'a', value: 1 }])).toThrow(expect.objectContaining({ kind: 'invalid-data', message: expect.stringContaining(events.file) }));
    });
  });
});
