/**
 * `parsl-ts init [dir]`: a starter project that runs at once — `parsl.config.ts` for the
 * machine it is run on (a LocalProvider block here; a scheduler's provider, with the
 * partitions or queues it lists, when that scheduler's commands are on PATH), a
 * `tsconfig.json` suited to workflows, a first workflow, and a `package.json` if none.
 */
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';
import { VERSION } from '../version.js';

/** A batch scheduler parsl-ts has a provider for, and how to list its partitions or queues. */
interface Scheduler {
  name: string;
  provider: string;
  /** Commands that must all be on PATH. */
  commands: string[];
  /** The provider option naming a partition or queue. */
  queueOption?: 'partition' | 'queue';
  listQueues?: () => QueueList;
  /** Other options, commented out, for the user to fill in. */
  hints: string[];
  launcher?: string;
}

interface QueueList { names: string[]; preferred?: string }

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 ? result.stdout : '';
}

/** First column of a table's rows after its header (and dashed rule, if any). */
function firstColumn(text: string, skipHeader: boolean): string[] {
  let lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const rule = lines.findIndex((l) => /^-+(\s+-+)*$/.test(l));
  if (rule >= 0) lines = lines.slice(rule + 1);
  else if (skipHeader) lines = lines.slice(1);
  return [...new Set(lines.map((l) => l.split(/\s+/)[0]!))];
}

const SCHEDULERS: Scheduler[] = [
  {
    name: 'Slurm', provider: 'SlurmProvider', commands: ['sbatch', 'sinfo'], queueOption: 'partition', launcher: 'SrunLauncher',
    listQueues: () => {
      // `sinfo -h -o %P`: one partition a line, the default one marked with '*'.
      const raw = [...new Set(run('sinfo', ['-h', '-o', '%P']).split('\n').map((l) => l.trim()).filter(Boolean))];
      return { names: raw.map((p) => p.replace(/\*$/, '')), preferred: raw.find((p) => p.endsWith('*'))?.slice(0, -1) };
    },
    hints: ["account: 'my-project',", "qos: 'normal',", 'exclusive: true,'],
  },
  {
    name: 'PBS Pro', provider: 'PBSProProvider', commands: ['qsub', 'qstat', 'pbsnodes'], queueOption: 'queue',
    listQueues: () => ({ names: firstColumn(run('qstat', ['-Q']), true) }),
    hints: ["account: 'my-project',", 'cpusPerNode: 4,'],
  },
  {
    name: 'Torque', provider: 'TorqueProvider', commands: ['qsub', 'qstat'], queueOption: 'queue',
    listQueues: () => ({ names: firstColumn(run('qstat', ['-Q']), true) }),
    hints: ["account: 'my-project',"],
  },
  {
    name: 'LSF', provider: 'LSFProvider', commands: ['bsub', 'bqueues'], queueOption: 'queue',
    listQueues: () => ({ names: firstColumn(run('bqueues', ['-w']), true) }),
    hints: ["project: 'my-project',", 'coresPerNode: 4,'],
  },
  {
    name: 'Grid Engine', provider: 'GridEngineProvider', commands: ['qsub', 'qconf'], queueOption: 'queue',
    listQueues: () => ({ names: firstColumn(run('qconf', ['-sql']), false) }),
    hints: ["pe: 'smp',"],
  },
  { name: 'HTCondor', provider: 'CondorProvider', commands: ['condor_submit', 'condor_q'], hints: ["requirements: '',"] },
];

function onPath(command: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch { /* not here */ }
  }
  return false;
}

/** The scheduler whose commands are on PATH (PBS Pro told from Torque by `qstat --version`). */
export function detectScheduler(): Scheduler | undefined {
  let found = SCHEDULERS.filter((s) => s.commands.every(onPath));
  // Grid Engine, PBS Pro and Torque all have qsub and qstat: qconf means Grid Engine, and
  // PBS Pro says so in `qstat --version`.
  if (found.some((s) => s.name === 'Grid Engine')) found = found.filter((s) => s.name !== 'PBS Pro' && s.name !== 'Torque');
  else if (!/pbs_version/i.test(run('qstat', ['--version']))) found = found.filter((s) => s.name !== 'PBS Pro');
  else found = found.filter((s) => s.name !== 'Torque');
  return found[0];
}

function localConfig(): string {
  const cores = availableParallelism();
  return `import { defineConfig, HighThroughputExecutor, LocalProvider } from 'parsl-ts';

// Written by \`parsl-ts init\` for ${hostname()} (${cores} cores): one block of worker processes
// on this machine. Swap in a scheduler's provider (SlurmProvider, PBSProProvider, ...) to
// run on a cluster; see the parsl-ts docs, providers.md.
export default defineConfig({
  executors: [
    new HighThroughputExecutor({
      label: 'local',
      maxWorkersPerNode: ${cores},
      provider: new LocalProvider({ initBlocks: 1, maxBlocks: 1 }),
    }),
  ],
  // Results of apps with \`cache: true\` are checkpointed as they end: \`parsl-ts run --resume\` reuses them.
  checkpointMode: 'task_exit',
});
`;
}

function schedulerConfig(scheduler: Scheduler): string {
  const queues = scheduler.listQueues?.() ?? { names: [] };
  const chosen = queues.preferred ?? queues.names[0];
  const queueLines: string[] = [];
  if (scheduler.queueOption !== undefined) {
    if (chosen !== undefined) {
      const others = queues.names.filter((q) => q !== chosen);
      queueLines.push(`${scheduler.queueOption}: '${chosen}',${others.length > 0 ? ` // also on this cluster: ${others.join(', ')}` : ''}`);
    } else {
      queueLines.push(`// ${scheduler.queueOption}: '...', // none could be listed here`);
    }
  }
  const imports = ['defineConfig', 'HighThroughputExecutor', scheduler.provider, ...(scheduler.launcher ? [scheduler.launcher] : [])];
  const options = [
    ...queueLines,
    ...scheduler.hints.map((h) => `// ${h}`),
    'nodesPerBlock: 1,',
    'initBlocks: 1,',
    'maxBlocks: 4,',
    "walltime: '00:30:00',",
    ...(scheduler.launcher ? [`launcher: new ${scheduler.launcher}(),`] : []),
    "// workerInit: 'module load nodejs', // commands a block runs before its workers start",
  ];
  return `import { ${imports.join(', ')} } from 'parsl-ts';

// Written by \`parsl-ts init\` on ${hostname()}, where ${scheduler.name} commands (${scheduler.commands.join(', ')}) are on PATH.
// Each block is a ${scheduler.name} job that starts worker processes on its nodes; check the
// options below (account, walltime, ...) against your site's rules before the first run.
export default defineConfig({
  executors: [
    new HighThroughputExecutor({
      label: '${scheduler.name.toLowerCase().replace(/\s+/g, '-')}',
      provider: new ${scheduler.provider}({
${options.map((line) => `        ${line}`).join('\n')}
      }),
    }),
  ],
  // Results of apps with \`cache: true\` are checkpointed as they end: \`parsl-ts run --resume\` reuses them.
  checkpointMode: 'task_exit',
});
`;
}

const TSCONFIG = `${JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    isolatedModules: true,
  },
  include: ['*.ts', 'src/**/*.ts'],
}, null, 2)}\n`;

const FIRST_WORKFLOW = `import { app, bashApp, load } from 'parsl-ts';

// A function app: runs on a worker; calling it returns a future at once.
const square = app((x: number) => x * x);

// Futures anywhere in the arguments are dependencies: total waits for every square.
const total = app((values: number[]) => values.reduce((a, b) => a + b, 0));

// A bash app returns a command line; it runs under \`bash -c\` on a worker.
const whereAmI = bashApp((_kw: { stdout: string }) => 'echo "ran on $(hostname)"');

const dfk = await load(); // the config in parsl.config.ts
const squares = [1, 2, 3, 4, 5].map((x) => square(x));
console.log(\`sum of squares: \${await total(squares)}\`);
await whereAmI({ stdout: 'where.txt' });
await dfk.cleanup();
`;

function packageJson(dir: string): string {
  return `${JSON.stringify({
    name: basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-') || 'workflow',
    private: true,
    type: 'module',
    scripts: { start: 'parsl-ts run flow.ts', typecheck: 'parsl-ts run --typecheck flow.ts' },
    dependencies: { 'parsl-ts': `^${VERSION}` },
    devDependencies: { typescript: '^5.9.0', '@types/node': '^20.19.0' },
  }, null, 2)}\n`;
}

export function initCommand(): Command {
  return new Command('init')
    .description('write a starter project: parsl.config.ts for this machine, tsconfig.json, a first workflow')
    .argument('[dir]', 'where to write it', '.')
    .option('--force', 'overwrite files that exist')
    .action((dirArg: string, options: { force?: boolean }) => {
      const dir = resolve(dirArg);
      mkdirSync(dir, { recursive: true });
      const scheduler = detectScheduler();
      const files: [string, string][] = [
        ['parsl.config.ts', scheduler ? schedulerConfig(scheduler) : localConfig()],
        ['tsconfig.json', TSCONFIG],
        ['flow.ts', FIRST_WORKFLOW],
        ['package.json', packageJson(dir)],
      ];
      for (const [name, text] of files) {
        const path = join(dir, name);
        if (existsSync(path) && !options.force) {
          process.stdout.write(`kept    ${name} (exists; --force overwrites it)\n`);
          continue;
        }
        writeFileSync(path, text);
        process.stdout.write(`wrote   ${name}${name === 'parsl.config.ts' ? ` (${scheduler ? `${scheduler.provider}: ${scheduler.name} found on PATH` : 'LocalProvider: no batch scheduler on PATH'})` : ''}\n`);
      }
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      const next = [
        ...(existsSync(join(dir, 'node_modules', 'parsl-ts')) ? [] : [pkg.dependencies?.['parsl-ts'] ? 'npm install' : 'npm install parsl-ts']),
        'npx parsl-ts run --typecheck flow.ts',
      ];
      process.stdout.write(`\nnext:\n${next.map((step) => `  ${dirArg === '.' ? '' : `(cd ${dirArg}) `}${step}`).join('\n')}\n`);
    });
}
