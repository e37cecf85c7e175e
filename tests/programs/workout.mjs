// A node workout for km: fs, crypto, zlib, timers, worker_threads and an http server answering a
// client on loopback; only deterministic results are printed (run natively and under km, compared).
import { createHash, randomBytes, createCipheriv, createDecipheriv, scryptSync } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { Worker } from 'node:worker_threads';
import { gzipSync, gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';

const data = Buffer.alloc(100000, 'kontain');
console.log('sha256', createHash('sha256').update(data).digest('hex'));
const key = scryptSync('password', 'salt', 32), iv = Buffer.alloc(16, 1);
const enc = createCipheriv('aes-256-cbc', key, iv).update(data);
console.log('aes', createHash('md5').update(enc).digest('hex'));
console.log('random bytes', randomBytes(32).length);
const gz = gzipSync(data);
console.log('gzip roundtrip', gunzipSync(gz).equals(data));
void createDecipheriv;

mkdirSync('dir');
writeFileSync('dir/a.txt', 'hello\n'.repeat(100));
console.log('fs', readdirSync('dir'), statSync('dir/a.txt').size, readFileSync('dir/a.txt', 'utf8').split('\n').length);

const t0 = Date.now();
await sleep(50);
console.log('timer waited >= 50ms', Date.now() - t0 >= 49);
const order = [];
await new Promise((res) => { setTimeout(() => { order.push('b'); res(); }, 20); setTimeout(() => order.push('a'), 5); });
console.log('timer order', order.join(''));

const sum = await new Promise((res, rej) => {
  const w = new Worker('const { parentPort } = require("node:worker_threads"); parentPort.on("message", (n) => { let s = 0; for (let i = 0; i < n; i++) s += i; parentPort.postMessage(s); });', { eval: true });
  w.on('message', (s) => { res(s); w.terminate(); });
  w.on('error', rej);
  w.postMessage(1000000);
});
console.log('worker sum', sum);

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => { res.setHeader('content-type', 'text/plain'); res.end(`${req.method} ${req.url} ${createHash('sha1').update(body).digest('hex')}`); });
});
await new Promise((res) => server.listen(0, '127.0.0.1', res));
const port = server.address().port;
for (const path of ['/', '/a/b?c=d', '/x']) {
  const body = await new Promise((res, rej) => get({ host: '127.0.0.1', port, path }, (r) => {
    let b = ''; r.on('data', (c) => { b += c; }); r.on('end', () => res(`${r.statusCode} ${r.headers['content-type']} ${b}`));
  }).on('error', rej));
  console.log('http', body);
}
server.close();
