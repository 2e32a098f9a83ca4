/**
 * The `coxswain` command line: start the bot, or check a config file. Bad input ends with a
 * clear message and a non-zero exit, never a stack trace.
 */
import parseArgs from 'yargs-parser';
import { ROLES, type Role } from './auth/config-schema.js';
import { ConfigError, loadConfig } from './config/load.js';
import { StartError, startBot } from './main.js';
import { packageVersion } from './version.js';

const USAGE = `Usage:
  coxswain [--config FILE] [--shell] [--role viewer|operator|admin] [--port N]
  coxswain config check FILE
  coxswain --version | --help

  --config FILE   the YAML config (default ./coxswain.yaml; COXSWAIN_* variables override it)
  --shell         use the built-in shell adapter even when a chat platform is configured
  --role R        the shell user's role (default viewer)
  --port N        serve HTTP (probes, metrics, hooks) on this port
  -v, --version   print the version and exit
  -h, --help      print this help and exit
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`coxswain: ${message}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, {
    string: ['config', 'role'],
    boolean: ['shell', 'help', 'version'],
    number: ['port'],
    alias: { help: ['h'], version: ['v'] },
    configuration: { 'camel-case-expansion': false, 'parse-positional-numbers': false },
  });
  const known = new Set(['_', 'config', 'role', 'shell', 'help', 'h', 'version', 'v', 'port']);
  const unknown = Object.keys(args).filter((key) => !known.has(key));
  if (unknown.length > 0) fail(`unknown option ${unknown.map((k) => `--${k}`).join(', ')}\n${USAGE}`);
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.version) {
    process.stdout.write(`coxswain ${packageVersion()}\n`);
    return;
  }
  const words = args._.map(String);

  if (words[0] === 'config') {
    if (words[1] !== 'check' || words.length !== 3) fail(`usage: coxswain config check FILE`);
    const file = words[2] as string;
    try {
      loadConfig({ path: file });
      process.stdout.write(`${file}: ok\n`);
      return;
    } catch (error) {
      if (error instanceof ConfigError) fail(formatConfigError(error), 1);
      throw error;
    }
  }
  if (words.length > 0) fail(`unknown command ${JSON.stringify(words[0])}\n${USAGE}`);

  if (args.role !== undefined && !(ROLES as readonly string[]).includes(args.role)) {
    fail(`--role must be one of ${ROLES.join(', ')}`);
  }
  if (args.port !== undefined && (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)) {
    fail('--port must be a port number from 0 to 65535');
  }

  try {
    const bot = await startBot({
      ...(args.config !== undefined ? { configPath: args.config } : {}),
      shell: args.shell === true,
      ...(args.role !== undefined ? { role: args.role as Role } : {}),
      ...(args.port !== undefined ? { port: args.port } : {}),
    });
    const onSignal = (signal: string) => {
      process.stderr.write(`coxswain: ${signal}, stopping\n`);
      void bot.stop().then(() => process.exit(0));
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
    await bot.done;
    process.exit(0);
  } catch (error) {
    if (error instanceof ConfigError) fail(formatConfigError(error), 1);
    if (error instanceof StartError) fail(error.message, 1);
    throw error;
  }
}

function formatConfigError(error: ConfigError): string {
  return `invalid configuration in ${error.source}:\n${error.problems.map((p) => `  ${p}`).join('\n')}`;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  fail(`could not start: ${error instanceof Error ? error.message : String(error)}`, 1);
});
