// A stand-in for the docker CLI, for the start: docker tests. The test writes a `docker` launcher into a
// temp dir put first on PATH; the launcher sets FAKE_DOCKER_DIR and imports this file.
// Every call is appended to FAKE_DOCKER_DIR/calls.jsonl as {args, apiKey} (apiKey: the
// QDRANT__SERVICE__API_KEY the command saw in its environment). `run` starts the Qdrant emulator on the
// published host port; `logs`, `inspect`, `rm -f`, `version` and `port` behave like docker's.
// Switches (files in FAKE_DOCKER_DIR): `no-engine` makes `version` fail like a docker without a daemon,
// `port-taken` makes the next `run` fail with docker's "port is already allocated" (leaving the created
// container behind, as docker does), `crash` makes the next container exit at once with code 101.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.env.FAKE_DOCKER_DIR;
if (!dir) {
  process.stderr.write('fake docker: FAKE_DOCKER_DIR is not set\n');
  process.exit(2);
}
const emulator = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../emulator/cli.js');
const args = process.argv.slice(2);
fs.appendFileSync(
  path.join(dir, 'calls.jsonl'),
  `${JSON.stringify({ args, apiKey: process.env.QDRANT__SERVICE__API_KEY ?? null })}\n`,
);
const containers = path.join(dir, 'containers');
fs.mkdirSync(containers, { recursive: true });

function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** @returns {{ id: string, name: string, pid?: number, log: string, port: number, file: string } | undefined} */
function find(ref) {
  for (const entry of fs.readdirSync(containers).filter((f) => f.endsWith('.json'))) {
    const file = path.join(containers, entry);
    const c = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (c.id === ref || c.id.startsWith(ref) || c.name === ref) return { ...c, file };
  }
  return undefined;
}

function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

function option(list, name) {
  const at = list.indexOf(name);
  return at >= 0 ? list[at + 1] : undefined;
}

const [command, ...rest] = args;
switch (command) {
  case 'version': {
    if (fs.existsSync(path.join(dir, 'no-engine'))) {
      fail(
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      );
    }
    process.stdout.write('27.3.1\n');
    break;
  }
  case 'run': {
    let name = `fake_${randomBytes(3).toString('hex')}`;
    let publish;
    const env = {};
    let i = 0;
    for (; i < rest.length && rest[i].startsWith('-'); i++) {
      const flag = rest[i];
      if (flag === '-d' || flag === '--detach') continue;
      const value = rest[++i];
      if (flag === '--name') name = value;
      else if (flag === '-p' || flag === '--publish') publish = value;
      else if (flag === '-e' || flag === '--env') {
        const at = value.indexOf('=');
        if (at >= 0) env[value.slice(0, at)] = value.slice(at + 1);
        else if (process.env[value] !== undefined) env[value] = process.env[value];
      } else fail(`unknown flag: ${flag}`, 125);
    }
    const image = rest[i];
    if (!image) fail('"docker run" requires at least 1 argument.', 125);
    if (!/^qdrant\/qdrant:v\d+\.\d+\.\d+$/.test(image) || image.endsWith(':v9.9.9')) {
      fail(
        `Unable to find image '${image}' locally\ndocker: Error response from daemon: manifest for ${image} not found: manifest unknown: manifest unknown.`,
        125,
      );
    }
    if (find(name))
      fail(
        `docker: Error response from daemon: Conflict. The container name "/${name}" is already in use.`,
        125,
      );
    const match = /^127\.0\.0\.1:(\d+):6333$/.exec(publish ?? '');
    if (!match) fail(`fake docker: expected -p 127.0.0.1:PORT:6333, got ${publish}`, 125);
    const port = Number(match[1]);
    const id = randomBytes(32).toString('hex');
    const record = { id, name, port, image, env: Object.keys(env), log: path.join(containers, `${id}.log`) };
    const file = path.join(containers, `${id}.json`);
    const takenMarker = path.join(dir, 'port-taken');
    const forced = fs.existsSync(takenMarker);
    if (forced) fs.rmSync(takenMarker);
    // Docker binds the published port when the container starts: a taken port fails the run.
    const free = await new Promise((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
    });
    if (forced || !free) {
      fs.writeFileSync(file, JSON.stringify(record));
      fail(
        `docker: Error response from daemon: driver failed programming external connectivity on endpoint ${name} (${id}): Bind for 127.0.0.1:${port} failed: port is already allocated.`,
        125,
      );
    }
    const data = path.join(containers, `${id}-data`);
    fs.mkdirSync(data, { recursive: true });
    const log = fs.openSync(record.log, 'a');
    const apiKey = env.QDRANT__SERVICE__API_KEY ? ['--api-key', env.QDRANT__SERVICE__API_KEY] : [];
    const crashMarker = path.join(dir, 'crash');
    const crash = fs.existsSync(crashMarker);
    if (crash) fs.rmSync(crashMarker);
    const command = crash
      ? ['-e', 'console.error("Panic: failed to load storage: wrong format"); process.exit(101)']
      : [emulator, '--port', String(port), '--data', data, ...apiKey];
    const child = spawn(process.execPath, command, {
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
    fs.writeFileSync(file, JSON.stringify({ ...record, pid: child.pid, exitCode: crash ? 101 : 0 }));
    process.stdout.write(`${id}\n`);
    break;
  }
  case 'logs': {
    const c = find(rest[rest.length - 1]);
    if (!c) fail(`Error response from daemon: No such container: ${rest[rest.length - 1]}`);
    const tail = Number(option(rest, '--tail') ?? 'Infinity');
    const text = fs.existsSync(c.log) ? fs.readFileSync(c.log, 'utf8') : '';
    const lines = text.replace(/\n$/, '').split('\n');
    process.stdout.write(`${lines.slice(-tail).join('\n')}\n`);
    break;
  }
  case 'inspect': {
    const c = find(rest[rest.length - 1]);
    if (!c) fail(`Error: No such object: ${rest[rest.length - 1]}`);
    process.stdout.write(alive(c.pid) ? 'true 0\n' : `false ${c.exitCode ?? 0}\n`);
    break;
  }
  case 'port': {
    const c = find(rest[0]);
    if (!c) fail(`Error: No such container: ${rest[0]}`);
    process.stdout.write(`6333/tcp -> 127.0.0.1:${c.port}\n`);
    break;
  }
  case 'rm': {
    const ref = rest[rest.length - 1];
    const c = find(ref);
    if (!c) fail(`Error response from daemon: No such container: ${ref}`);
    if (alive(c.pid)) {
      if (!rest.includes('-f') && !rest.includes('--force')) {
        fail(
          `Error response from daemon: cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`,
        );
      }
      process.kill(c.pid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (alive(c.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (alive(c.pid)) process.kill(c.pid, 'SIGKILL');
    }
    fs.rmSync(c.file);
    process.stdout.write(`${ref}\n`);
    break;
  }
  default:
    fail(`fake docker: unsupported command ${command}`);
}
