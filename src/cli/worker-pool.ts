/**
 * `parsl-ts worker-pool …`: the HighThroughputExecutor manager that providers start on
 * each node. The secret comes from a 0600 file or $PARSL_HTEX_SECRET, never from argv.
 */
import { Command, Option } from 'commander';

interface WorkerPoolFlags {
  address: string;
  port: string;
  secretFile?: string;
  blockId: string;
  maxWorkersPerNode: string;
  coresPerWorker: string;
  memPerWorker: string;
  prefetchCapacity: string;
  heartbeatPeriod: string;
  heartbeatThreshold: string;
  drainPeriod?: string;
  blockWalltime?: string;
  availableAccelerators: string[];
  certFile?: string;
  logDir?: string;
  maxFrameBytes?: string;
  reportVersion?: string;
  workingDir?: string;
  monitoring?: string;
}

function number(flag: string, text: string, { integer = false, min = 0 } = {}): number {
  const value = text === 'inf' || text === 'Infinity' ? Infinity : Number(text);
  if (Number.isNaN(value) || value < min || (integer && Number.isFinite(value) && !Number.isInteger(value))) {
    throw new Error(`--${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${text}'`);
  }
  return value;
}

export function workerPoolCommand(): Command {
  return new Command('worker-pool')
    .description('run a HighThroughputExecutor manager and its workers on this node (started by providers)')
    .requiredOption('-a, --address <host>', 'interchange address')
    .requiredOption('-p, --port <port>', 'interchange port')
    .option('--secret-file <path>', 'file (mode 0600) holding the run secret; default: $PARSL_HTEX_SECRET')
    .option('-b, --block-id <id>', 'block this manager belongs to', '0')
    .option('--max-workers-per-node <n>', 'most workers to start (inf: as cores allow)', 'inf')
    .option('--cores-per-worker <n>', 'cores each worker needs', '1')
    .option('--mem-per-worker <gb>', 'GB of memory each worker needs (0: no bound)', '0')
    .option('--prefetch-capacity <n>', 'extra tasks to hold beyond one per worker', '0')
    .option('--heartbeat-period <s>', 'seconds between heartbeats', '30')
    .option('--heartbeat-threshold <s>', 'seconds of silence after which the interchange is gone', '120')
    .option('--drain-period <s>', 'seconds after which to stop taking tasks, finish, exit')
    .option('--block-walltime <s>', "the block's walltime in seconds: stop taking tasks shortly before it")
    .option('--available-accelerators <ids...>', 'one worker per accelerator id', [])
    .option('--cert-file <path>', 'interchange TLS certificate: connect with TLS and trust only it')
    .option('--log-dir <dir>', 'directory for the manager log')
    .option('--working-dir <dir>', 'directory to run the manager and its workers in (created if missing)')
    .addOption(new Option('--max-frame-bytes <n>', 'cap on one frame').hideHelp())
    .addOption(new Option('--report-version <v>', 'parsl-ts version to report (tests)').hideHelp())
    .option('--monitoring <interval>', 'report task start times and resource samples every <interval> seconds (0: no samples) for monitoring')
    .action(async (flags: WorkerPoolFlags) => {
      const { Manager } = await import('../executors/htex/manager.js');
      const { readSecret } = await import('../executors/htex/security.js');
      const { DEFAULT_MAX_FRAME_BYTES } = await import('../executors/htex/protocol.js');
      const { addressList, probeAddresses } = await import('../executors/htex/addresses.js');
      let manager;
      try {
        const drainPeriod = flags.drainPeriod === undefined ? undefined : number('drain-period', flags.drainPeriod);
        const port = number('port', flags.port, { integer: true, min: 1 });
        const heartbeatThreshold = number('heartbeat-threshold', flags.heartbeatThreshold);
        // Several addresses: keep the first this node reaches (the driver offered all of its own).
        const address = await probeAddresses(addressList(flags.address), port, heartbeatThreshold * 1000);
        manager = new Manager({
          address,
          port,
          secret: readSecret(flags.secretFile),
          blockId: flags.blockId,
          maxWorkersPerNode: number('max-workers-per-node', flags.maxWorkersPerNode, { integer: true, min: 1 }),
          coresPerWorker: number('cores-per-worker', flags.coresPerWorker),
          memPerWorker: number('mem-per-worker', flags.memPerWorker),
          prefetchCapacity: number('prefetch-capacity', flags.prefetchCapacity, { integer: true }),
          heartbeatPeriod: number('heartbeat-period', flags.heartbeatPeriod),
          heartbeatThreshold,
          drainPeriod,
          blockWalltime: flags.blockWalltime === undefined ? undefined : number('block-walltime', flags.blockWalltime),
          availableAccelerators: flags.availableAccelerators,
          certPath: flags.certFile,
          logDir: flags.logDir,
          maxFrameBytes: flags.maxFrameBytes === undefined ? DEFAULT_MAX_FRAME_BYTES : number('max-frame-bytes', flags.maxFrameBytes, { integer: true, min: 1024 }),
          reportVersion: flags.reportVersion,
          workingDir: flags.workingDir,
          monitoringInterval: flags.monitoring === undefined ? undefined : number('monitoring', flags.monitoring, { min: 0 }),
        });
      } catch (error) {
        process.stderr.write(`parsl-ts worker-pool: ${(error as Error).message}\n`);
        process.exit(2);
      }
      const code = await manager.run();
      process.exit(code);
    });
}
