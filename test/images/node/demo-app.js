/* global process, console, Buffer */
// demo-app: a tiny HTTP service with its own request counters, for swarm-balance tests.
//
//   GET /              ~2 KiB text body naming the replica (hostname); counted in http_requests_total
//   GET /metrics       Prometheus text: http_requests_total{code="200"} N (requests to / only)
//   GET /nginx_status  nginx stub_status text with real connection/request counts
//   GET /healthz       "ok" (not counted)
//   anything else      404, counted as http_requests_total{code="404"}
//
// Env: PORT (8080), KEEPALIVE_TIMEOUT_MS (65000; Node's default of 5 s would make idle
// keep-alive clients reconnect, which blurs "pinned" scenarios), BODY_BYTES (2048).
// SIGTERM/SIGINT: closes every connection and exits 0 at once.
import http from 'node:http';
import os from 'node:os';

const port = Number(process.env.PORT || 8080);
const keepAliveTimeout = Number(process.env.KEEPALIVE_TIMEOUT_MS || 65000);
const bodyBytes = Number(process.env.BODY_BYTES || 2048);
const hostname = os.hostname();

const head = `demo-app on ${hostname}\n`;
const body = Buffer.from(head + 'x'.repeat(Math.max(0, bodyBytes - head.length - 1)) + '\n');

const requests = { 200: 0, 404: 0 }; // application counter, as /metrics shows it
const stub = { accepts: 0, handled: 0, requests: 0, active: 0, writing: 0 }; // nginx semantics

const server = http.createServer((req, res) => {
  stub.requests += 1;
  stub.writing += 1;
  res.on('close', () => {
    stub.writing -= 1;
  });
  const path = (req.url || '/').split('?')[0];
  req.resume(); // discard any request body
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed\n');
  } else if (path === '/') {
    requests[200] += 1;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body);
  } else if (path === '/metrics') {
    const text = [
      '# HELP http_requests_total Requests served by demo-app (GET / only).',
      '# TYPE http_requests_total counter',
      `http_requests_total{code="200"} ${requests[200]}`,
      `http_requests_total{code="404"} ${requests[404]}`,
      '# HELP demo_app_connections_accepted_total TCP connections accepted.',
      '# TYPE demo_app_connections_accepted_total counter',
      `demo_app_connections_accepted_total ${stub.accepts}`,
      '# HELP demo_app_connections_active Open TCP connections.',
      '# TYPE demo_app_connections_active gauge',
      `demo_app_connections_active ${stub.active}`,
      '',
    ].join('\n');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
  } else if (path === '/nginx_status') {
    // Same layout as nginx's ngx_http_stub_status_module (trailing spaces included).
    const reading = 0; // a request whose headers are still being read has not reached this handler
    const waiting = Math.max(0, stub.active - stub.writing - reading);
    const text =
      `Active connections: ${stub.active} \n` +
      'server accepts handled requests\n' +
      ` ${stub.accepts} ${stub.handled} ${stub.requests} \n` +
      `Reading: ${reading} Writing: ${stub.writing} Waiting: ${waiting} \n`;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(text);
  } else if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else {
    requests[404] += 1;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
});

server.on('connection', (socket) => {
  stub.accepts += 1;
  stub.handled += 1;
  stub.active += 1;
  socket.on('close', () => {
    stub.active -= 1;
  });
});
server.keepAliveTimeout = keepAliveTimeout;
server.headersTimeout = keepAliveTimeout + 1000;

server.listen(port, () => {
  console.log(JSON.stringify({ msg: 'listening', port, hostname, pid: process.pid }));
});

const stop = (signal) => {
  console.log(JSON.stringify({ msg: 'stopping', signal, requests, stub }));
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
