#!/usr/bin/env node
// The npm registry reachable here does not serve every platform build of packages such as
// rollup (e.g. @rollup/rollup-android-arm64 answers 404), so `npm install` leaves them out of
// package-lock.json and `npm ci` then refuses the lock as "missing" them. This adds a lock entry
// for each such optional platform package, with the os/cpu/libc its name states, so that npm ci
// sees a complete lock and skips them as not for this platform. Run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'win32', 'sunos', 'aix', 'netbsd'];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el'];

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (packages[target] || packages[`${key}/${target}`]) continue;
    const parts = name.split('/').pop().split('-');
    const os = OS.find((o) => parts.includes(o));
    const cpu = CPU.find((c) => parts.includes(c) || (c === 'arm' && parts.includes('arm')));
    if (!os || !cpu) throw new Error(`cannot tell the platform of ${name}; add its lock entry by hand`);
    const stub = { version, cpu: [cpu], os: [os], optional: true };
    if (parts.some((p) => p === 'musl')) stub.libc = ['musl'];
    if (parts.some((p) => p === 'gnu' || p === 'gnueabihf')) stub.libc = ['glibc'];
    if (entry.dev) stub.dev = true;
    packages[target] = stub;
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-platform-packages: added ${added} platform entr${added === 1 ? 'y' : 'ies'}`);
