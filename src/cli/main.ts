import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import packageJson from '../../package.json' with { type: 'json' };
import { ALERTS_LIMIT } from '../core/api/alerts-api-schemas.ts';
import { REQUESTS_PAGE_LIMIT } from '../core/api/control-api-schemas.ts';
import { HISTORY_LIMIT } from '../core/api/history-api-schemas.ts';
import { HEADLINE_METRIC_NAMES } from '../core/history/headline-metrics.ts';
import { DEFAULT_DEADLINES } from '../core/metrics/deadline-options.ts';
import { alertsCommand } from './alerts-command.ts';
import { analyzeCommand, MAX_THREADS } from './analyze-command.ts';
import { DEFAULT_PAGE_SIZE } from './api-client.ts';
import { cancelCommand } from './cancel-command.ts';
import { CliError, EXIT_BAD_INPUT, EXIT_BUG, EXIT_OK } from './cli-error.ts';
import {
  cursorOption,
  jsonOption,
  listLimitOption,
  tbtDeadlineOption,
  ttftDeadlineOption,
  urlOption,
  wholeNumber,
} from './cli-options.ts';
import { compareCommand } from './compare-command.ts';
import { EXPORT_FORMATS, exportCommand } from './export-command.ts';
import { historyCommand } from './history-command.ts';
import { profileCommand, profilesCommand } from './profile-command.ts';
import { reportCommand } from './report-command.ts';
import { resultsCommand } from './results-command.ts';
import { runCommand } from './run-command.ts';
import { runsCommand } from './runs-command.ts';
import {
  scheduleAddCommand,
  scheduleEnableCommand,
  scheduleListCommand,
  scheduleRemoveCommand,
  scheduleShowCommand,
  scheduleTriggerCommand,
} from './schedule-command.ts';
import { searchCommand } from './search-command.ts';
import { statusCommand } from './status-command.ts';

/** Runs the CLI on `argv` (without `node script`) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('fluidbench')
    .description('LLM-inference load generator and etalon-style fluidity metrics')
    .version(packageJson.version)
    // Usage errors follow the CLI's error contract: one `fluidbench: ` line on stderr, exit 2.
    .configureOutput({
      outputError: (message, write) =>
        write(
          `fluidbench: ${message
            .replace(/^error: /, '')
            .trim()
            .split(/\s*\n\s*/)
            .join(' ')} (run with --help for usage)\n`,
        ),
    })
    .exitOverride();

  program
    .command('analyze')
    .description('compute TTFT/TBT/TPOT/e2e, fluidity-index and throughputs from request records')
    .argument(
      '<file>',
      'request records: JSONL, JSON array, {"requests": [...]}, or etalon request_level_metrics.json',
    )
    .option('--json', 'print {requests, summary, throughput, service_level} as JSON')
    .addOption(ttftDeadlineOption())
    .addOption(tbtDeadlineOption())
    .option(
      '--target-miss-rate <r>',
      `miss rate for the minimum-deadline search, 0..1 (default: ${DEFAULT_DEADLINES.target_miss_rate})`,
    )
    .option('--prefill-profile <file>', 'prefill profile: TTFT deadline = predicted prefill + --ttft-slack')
    .option(
      '--ttft-slack <s>',
      `slack added to the predicted prefill time, seconds (default: ${DEFAULT_DEADLINES.ttft_slack_s})`,
    )
    .option('--curve', 'also compute the P99 miss-rate curve for TBT deadlines 1..100 ms')
    .option(
      '--etalon-dir <dir>',
      "also write etalon's metric files (request_level_metrics.json, CDF CSVs, ...)",
    )
    .addOption(
      new Option(
        '--threads <n>',
        `reader threads for JSONL, 1-${MAX_THREADS} (default: up to 4 for files of 16 MB or more, else 1)`,
      ).argParser(wholeNumber(1, MAX_THREADS)),
    )
    .option('--no-progress', 'no progress bar on stderr (drawn for files of 16 MB or more on a terminal)')
    .action(async (file, flags) => {
      const { stdout } = await analyzeCommand(file, flags);
      process.stdout.write(stdout);
    });

  registerApiCommands(program);
  registerScheduleCommands(program);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by outputError above.
      return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (error instanceof CliError) {
      process.stderr.write(`fluidbench: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `fluidbench: unexpected error (please report): ${(error as Error).stack ?? String(error)}\n`,
    );
    return EXIT_BUG;
  }
}

/** The commands that drive a fluidbench Worker through its control API (token: $FLUIDBENCH_TOKEN). */
function registerApiCommands(program: Command): void {
  program
    .command('run')
    .description('submit a run from a .json/.jsonc config; with --wait, follow it and print its results')
    .requiredOption('--config <file>', 'run configuration (.json or .jsonc)')
    .addOption(urlOption())
    .addOption(jsonOption())
    .option('--wait', 'show live progress until the run ends (Ctrl-C cancels it), then print the results')
    .option('--dry-run', 'print the plan and its estimated Cloudflare cost without starting anything')
    .action((flags) => runCommand(flags));

  program
    .command('search')
    .description('start a capacity search (probes as runs); with --wait, follow it and print every probe')
    .requiredOption('--config <file>', 'search request: {name?, template, settings} (.json or .jsonc)')
    .addOption(urlOption())
    .addOption(jsonOption())
    .option('--wait', 'show each probe until the search ends (Ctrl-C cancels it), then print the table')
    .action((flags) => searchCommand(flags));

  program
    .command('status')
    .description("a run's state and progress per region and shard")
    .argument('<id>', 'run id')
    .addOption(urlOption())
    .addOption(jsonOption())
    .action((id, flags) => statusCommand(id, flags));

  program
    .command('results')
    .description("a finished run's metrics overall and per region")
    .argument('<id>', 'run id')
    .addOption(urlOption())
    .addOption(jsonOption().conflicts('csv'))
    .option('--csv', 'print one CSV row per region plus `all`')
    .action((id, flags) => resultsCommand(id, flags));

  program
    .command('export')
    .description("a run's request records as JSONL (what analyze reads) or etalon's file set")
    .argument('<id>', 'run id')
    .addOption(urlOption())
    .addOption(new Option('--format <format>', 'what to write').choices(EXPORT_FORMATS).default('jsonl'))
    .option('--out <path>', 'jsonl: file to write (default stdout); etalon: directory (required)')
    .addOption(
      new Option('--page-size <n>', 'records per API request')
        .argParser(wholeNumber(REQUESTS_PAGE_LIMIT.min, REQUESTS_PAGE_LIMIT.max))
        .default(DEFAULT_PAGE_SIZE),
    )
    .action((id, flags) => exportCommand(id, flags));

  program
    .command('cancel')
    .description('cancel a queued or running run')
    .argument('<id>', 'run id')
    .addOption(urlOption())
    .addOption(jsonOption())
    .action((id, flags) => cancelCommand(id, flags));

  program
    .command('runs')
    .description('list runs, newest first')
    .addOption(urlOption())
    .addOption(jsonOption())
    .addOption(listLimitOption())
    .addOption(cursorOption())
    .action((flags) => runsCommand(flags));

  program
    .command('profile')
    .description(
      'measure a prefill profile (minimum TTFT per prompt length at concurrency 1) from a .json/.jsonc request',
    )
    .requiredOption('--config <file>', 'profile request (.json or .jsonc)')
    .addOption(urlOption())
    .addOption(jsonOption())
    .option('--wait', 'show progress until the profile is fitted (Ctrl-C cancels its run), then print it')
    .option('--out <file>', 'write the fitted profile for `analyze --prefill-profile` (implies --wait)')
    .action((flags) => profileCommand(flags));

  program
    .command('profiles')
    .description('list prefill profiles, newest first; with an id, show one and its fit')
    .argument('[id]', 'profile id')
    .addOption(urlOption())
    .addOption(jsonOption())
    .addOption(listLimitOption())
    .addOption(cursorOption())
    .action((id, flags) => profilesCommand(id, flags));

  program
    .command('compare')
    .description(
      'runs side by side: headline metrics with 95% intervals and deltas against the first run (docs/compare.md)',
    )
    .argument('<ids...>', '2 to 10 run ids, each optionally ID@REGION; the first is the reference')
    .option('--region <region>', 'compare this region of each run (`all`: whole runs)', 'all')
    .option('--no-records', 'skip reading the records: figures and deltas without intervals')
    .addOption(urlOption())
    .addOption(jsonOption())
    .action((ids, flags) => compareCommand(ids, flags));

  program
    .command('alerts')
    .description('regression alerts newest first, with their webhook delivery state (GET /v1/alerts)')
    .option('--run <id>', 'only alerts of this run')
    .option('--model <model>', 'only this model')
    .option('--region <region>', 'only this region (`all`: whole runs)')
    .addOption(new Option('--metric <metric>', 'only this metric').choices(HEADLINE_METRIC_NAMES))
    .option('--since <time>', 'only alerts created at or after this ISO date/time or epoch ms')
    .addOption(
      new Option('--limit <n>', 'newest alerts fetched')
        .argParser(wholeNumber(ALERTS_LIMIT.min, ALERTS_LIMIT.max))
        .default(ALERTS_LIMIT.default),
    )
    .addOption(urlOption())
    .addOption(jsonOption())
    .action((flags) => alertsCommand(flags));

  program
    .command('report')
    .description(
      'one self-contained HTML report (charts, no network needed to view) of a run, records file, search, profile, history or comparison',
    )
    .argument('[id|file]', 'run, search or profile id, or a records file as `export` writes it')
    .option('--out <file>', 'HTML file to write (default: fluidbench-KIND-ID.html)')
    .option('--history <schedule-id>', "a schedule's metrics over time, with baseline bands and regressions")
    .option('--compare <run-id...>', 'runs side by side: TTFT against output speed per region')
    .addOption(ttftDeadlineOption(' (records file only; a run keeps its own)'))
    .addOption(tbtDeadlineOption(' (records file only; a run keeps its own)'))
    .addOption(urlOption())
    .addOption(new Option('--json', "print the report's data as JSON instead of writing HTML"))
    .action((target, flags) => reportCommand(target, flags));

  program
    .command('history')
    .description(
      'headline metrics of finished runs and searches over time, per region, with regression flags',
    )
    .option('--model <model>', 'only this model')
    .option('--region <region>', 'only this region (`all`: whole runs)')
    .addOption(new Option('--metric <metric>', 'only this metric').choices(HEADLINE_METRIC_NAMES))
    .option('--schedule <id>', 'only runs of this schedule')
    .addOption(
      new Option('--limit <n>', 'newest points fetched over every series')
        .argParser(wholeNumber(HISTORY_LIMIT.min, HISTORY_LIMIT.max))
        .default(HISTORY_LIMIT.default),
    )
    .addOption(new Option('--last <n>', 'values per sparkline').argParser(wholeNumber(1, 200)).default(30))
    .addOption(urlOption())
    .addOption(jsonOption())
    .action((flags) => historyCommand(flags));
}

function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('schedules: runs started by a cron expression');
  schedule
    .command('add')
    .description(
      'create a schedule: a whole schedule file (--file), or the run of a .json/.jsonc config (several: a suite); prints its id',
    )
    .option(
      '--file <file>',
      'the schedule as POST /v1/schedules takes it (.json or .jsonc); flags override it',
    )
    .option('--name <name>', 'schedule name')
    .option('--cron <expression>', 'five fields: minute hour day-of-month month day-of-week')
    .option('--timezone <zone>', 'IANA time zone the expression is read in (default: UTC)')
    .option('--config <file...>', 'run configuration (.json or .jsonc); several make a suite')
    .option('--paused', 'create it paused')
    .option(
      '--alert-webhook-secret <name>',
      "name of the Worker secret holding this schedule's alert webhook URL (default: ALERT_WEBHOOK_SECRET's)",
    )
    .addOption(urlOption())
    .addOption(jsonOption())
    .action((flags) => scheduleAddCommand(flags));
  schedule
    .command('list')
    .description('list schedules, newest first')
    .addOption(urlOption())
    .addOption(jsonOption())
    .addOption(listLimitOption())
    .addOption(cursorOption())
    .action((flags) => scheduleListCommand(flags));
  for (const [name, description, action] of [
    ['show', 'a schedule and its recent starts', scheduleShowCommand],
    ['pause', 'pause a schedule', (id: string, flags: object) => scheduleEnableCommand(id, false, flags)],
    [
      'resume',
      'resume a schedule (due times while paused are not owed)',
      (id: string, flags: object) => scheduleEnableCommand(id, true, flags),
    ],
    ['rm', 'delete a schedule and its start records (its runs stay)', scheduleRemoveCommand],
    ['trigger', 'start a schedule now', scheduleTriggerCommand],
  ] as const)
    schedule
      .command(name)
      .description(description)
      .argument('<id>', 'schedule id')
      .addOption(urlOption())
      .addOption(jsonOption())
      .action((id, flags) => action(id, flags));
}
