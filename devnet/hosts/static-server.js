#!/usr/bin/env node
// Minimal static HTTP server for test hosts (runs on the MACHINE, not on hosts).
// usage: node static-server.js <host> <port> <urlPrefix>=<path> [...]
//   <path> may be a directory (served below the prefix) or a single file (served at the prefix).
// Prints one JSON line {"port":N} on stdout once listening. GET/HEAD only; no directory listing
// except what apt needs (none). Stops on SIGTERM/SIGINT.
"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");

const [host, portArg, ...maps] = process.argv.slice(2);
if (!host || portArg === undefined || maps.length === 0) {
  process.stderr.write("usage: static-server.js <host> <port> <prefix>=<path> ...\n");
  process.exit(2);
}
const routes = maps
  .map((m) => {
    const i = m.indexOf("=");
    return { prefix: m.slice(0, i), target: path.resolve(m.slice(i + 1)) };
  })
  .sort((a, b) => b.prefix.length - a.prefix.length);

function resolve(urlPath) {
  for (const r of routes) {
    if (urlPath === r.prefix) return r.target;
    const pre = r.prefix.endsWith("/") ? r.prefix : r.prefix + "/";
    if (urlPath.startsWith(pre)) {
      const rel = urlPath.slice(pre.length);
      const full = path.resolve(r.target, rel);
      if (full !== r.target && !full.startsWith(r.target + path.sep)) return null;
      return full;
    }
  }
  return null;
}

const server = http.createServer((req, res) => {
  const started = Date.now();
  let urlPath;
  try {
    urlPath = decodeURIComponent(new URL(req.url, "http://x").pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  const done = (code) => {
    process.stderr.write(`${new Date().toISOString()} ${req.socket.remoteAddress} ${req.method} ${urlPath} ${code} ${Date.now() - started}ms\n`);
  };
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405).end();
    return done(405);
  }
  const file = resolve(urlPath);
  if (!file) {
    res.writeHead(404).end();
    return done(404);
  }
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) {
      res.writeHead(404).end();
      return done(404);
    }
    res.writeHead(200, {
      "content-length": st.size,
      "content-type": "application/octet-stream",
      "last-modified": st.mtime.toUTCString(),
    });
    if (req.method === "HEAD") {
      res.end();
      return done(200);
    }
    const s = fs.createReadStream(file);
    s.on("error", () => res.destroy());
    s.pipe(res).on("finish", () => done(200));
  });
});
server.listen(Number(portArg), host, () => {
  process.stdout.write(JSON.stringify({ port: server.address().port, pid: process.pid }) + "\n");
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
