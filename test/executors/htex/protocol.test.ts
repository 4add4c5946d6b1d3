import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FrameReader, MessageType, ProtocolError, decodeResultBody, decodeTaskBatch, encodeResultBatch, encodeTaskBatch, frame,
  readResultHeader, type WireTaskEntry,
} from '../../../src/executors/htex/protocol.js';
import { serialize } from 'node:v8';

function collect(max = 1024): { reader: FrameReader; frames: [number, string][] } {
  const frames: [number, string][] = [];
  const reader = new FrameReader(max, (type, payload) => frames.push([type, payload.toString()]));
  return { reader, frames };
}

test('frames split across chunks and packed in one chunk all come out whole, in order', () => {
  const { reader, frames } = collect();
  const all = Buffer.concat([frame(MessageType.Log, Buffer.from('first')), frame(MessageType.Heartbeat), frame(MessageType.Log, Buffer.from('x'.repeat(300)))]);
  for (let i = 0; i < all.length; i += 3) reader.push(all.subarray(i, i + 3)); // 3 bytes at a time
  reader.push(all); // and all at once
  assert.deepEqual(frames.map(([type, text]) => [type, text.length]), [[34, 5], [30, 0], [34, 300], [34, 5], [30, 0], [34, 300]]);
  assert.equal(frames[0]![1], 'first');
});

test('a frame over the cap is refused from its header, before its bytes arrive', () => {
  const { reader } = collect(100);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(101);
  assert.throws(() => reader.push(header), (error: Error) => error instanceof ProtocolError && /exceeds the cap of 100/.test(error.message));
});

test('an empty frame (length 0) is a protocol error', () => {
  const { reader } = collect();
  assert.throws(() => reader.push(Buffer.alloc(8)), ProtocolError);
});

test('stop() ignores the frames that follow in the same chunk', () => {
  const frames: number[] = [];
  const reader: FrameReader = new FrameReader(1024, (type) => { frames.push(type); reader.stop(); });
  reader.push(Buffer.concat([frame(MessageType.Heartbeat), frame(MessageType.Log)]));
  assert.deepEqual(frames, [MessageType.Heartbeat]);
});

test('a task batch carries codes once and every task field, Maps and Dates included', () => {
  const tasks: WireTaskEntry[] = [
    { taskId: 7, tryId: 1, codeIndex: 0, walltime: -1, args: [1, 'two', new Map([[3, 4]])], extras: 0 },
    { taskId: 8, tryId: 0, codeIndex: 0, walltime: 2.5, args: [new Date(5)], extras: { stdout: { path: '/tmp/o', mode: 'w' }, hasFiles: true } },
  ];
  const code = { index: 0, appName: 'f', kind: 'function' as const, spec: { id: 'c1', kind: 'source' as const, name: 'f', source: '() => 1' } };
  const decoded = decodeTaskBatch(encodeTaskBatch([code], tasks));
  assert.deepEqual(decoded.codes, [code]);
  assert.deepEqual(decoded.tasks, tasks);
  assert.deepEqual(decodeTaskBatch(encodeTaskBatch(undefined, tasks)).codes, []);
});

test('a garbage task batch is a protocol error', () => {
  assert.throws(() => decodeTaskBatch(Buffer.from('not v8 at all')), ProtocolError);
  assert.throws(() => decodeTaskBatch(serialize({ tasks: 1 })), ProtocolError);
});

test('a result batch header is readable without decoding its body', () => {
  const body = serialize([0, 1, 'ok', 2, 0, { name: 'Error', message: 'bad' }]);
  const out = encodeResultBatch([11, 12], 3.5, body);
  assert.equal(out.readUInt32BE(0), out.length - 4);
  assert.equal(out[4], MessageType.Results);
  const payload = out.subarray(5);
  const header = readResultHeader(payload);
  assert.deepEqual({ count: header.count, busyMs: header.busyMs, taskIds: header.taskIds }, { count: 2, busyMs: 3.5, taskIds: [11, 12] });
  assert.deepEqual(decodeResultBody(payload, header), [0, 1, 'ok', 2, 0, { name: 'Error', message: 'bad' }]);
  assert.throws(() => readResultHeader(Buffer.alloc(3)), ProtocolError);
  assert.throws(() => decodeResultBody(payload, { ...header, count: 5 }), ProtocolError);
});
