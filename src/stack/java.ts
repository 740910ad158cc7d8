// Finds a JDK of at least the required major version: $WEIR_JAVA_HOME, $JAVA_HOME, `java` on the
// PATH, then the usual install folders. Picks the lowest version that is new enough.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StackError } from './proc.ts';

export interface Jdk {
  java: string;
  major: number;
}

function majorOf(java: string): number | undefined {
  // `java -version` prints to stderr.
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  return parseMajor(`${r.stderr ?? ''}${r.stdout ?? ''}`);
}

export function parseMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

function candidates(): string[] {
  const homes: string[] = [];
  for (const v of [process.env.WEIR_JAVA_HOME, process.env.JAVA_HOME]) if (v) homes.push(v);
  try {
    const onPath = execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim();
    if (onPath) homes.push(dirname(dirname(realpathSync(onPath))));
  } catch {
    /* no java on PATH */
  }
  for (const root of ['/usr/lib/jvm', '/opt/java', '/Library/Java/JavaVirtualMachines']) {
    if (!existsSync(root)) continue;
    for (const d of readdirSync(root)) homes.push(join(root, d), join(root, d, 'Contents', 'Home'));
  }
  return [...new Set(homes.map((h) => join(h, 'bin', 'java')).filter((j) => existsSync(j)))];
}

let found: Jdk[] | undefined;
export function findJdks(): Jdk[] {
  found ??= candidates().flatMap((java) => {
    const major = majorOf(java);
    return major === undefined ? [] : [{ java, major }];
  });
  return found;
}

export function requireJava(minMajor: number, purpose: string): Jdk {
  const jdks = findJdks();
  const fit = jdks.filter((j) => j.major >= minMajor).sort((a, b) => a.major - b.major)[0];
  if (fit) return fit;
  const seen = jdks.length ? jdks.map((j) => `${j.java} (Java ${j.major})`).join(', ') : 'no Java at all';
  throw new StackError(
    `${purpose} needs Java ${minMajor} or newer; found ${seen}. Install a JDK ${minMajor}+ ` +
      `(e.g. \`apt-get install openjdk-${minMajor}-jdk-headless\` or Temurin) or point WEIR_JAVA_HOME at one.`,
  );
}
