import { Argument, Command, CommanderError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { defaultBatchParallel } from '../grade/batch.js';
import { closest } from '../lab/suggest.js';
import { REPORT_FORMATS } from '../report/registry.js';
import { versionLine } from './version.js';

/**
 * A parsed command line: which command (`up`, `image build`, `workshop export`...), its named arguments and
 * its options (camelCase, defaults applied, global options such as `engines` included). What the CLI runs.
 */
export interface Invocation {
  command: string;
  args: Record<string, string | string[] | undefined>;
  options: Record<string, unknown>;
}

/** The command line asked for help or the version, which were printed: exit with this code. */
export interface Printed {
  exitCode: number;
}

const STUDENTS = 'For students:';
const INSTRUCTORS = 'For instructors:';
const WORKSHOPS = 'Workshops and engines:';
const SHELL = 'Shell:';

const FORMAT_NAMES = REPORT_FORMATS.map((f) => f.name);

const instanceOption = (what = 'work on a separate copy of the lab, with its own subnets'): Option =>
  new Option('--instance <name>', what).default('default');

/** The report options `check` and `grade` share. */
function reportOptions(cmd: Command, resultsDefault = 'results/'): Command {
  return cmd
    .addOption(new Option('--format <f>', 'how to write the report (the formats are below)').choices(FORMAT_NAMES).default('terminal'))
    .option('-o, --output <file>', 'write the report in --format to a file (the terminal shows the summary)')
    .option('--results <dir>', `where captures and program output go (default: ${resultsDefault})`)
    .option('-v, --verbose', 'show the evidence of every check')
    .addOption(
      new Option('--subnet-pool <cidr>', 'take instance subnets from this IPv4 range (default 10.128.0.0/9)').env('TOPLAB_SUBNET_POOL'),
    )
    .option(
      '--ladder',
      'draw each capture\'s exchanges as a ladder: one arrow per segment with flags, seq/ack, length and each side\'s TCP state; the JSON report gets a "ladder" section',
    )
    .addOption(
      new Option(
        '--ladder-format <f>',
        'unicode (default in a UTF-8 locale), ascii or mermaid (a sequenceDiagram); implies --ladder',
      ).choices(['unicode', 'ascii', 'mermaid']),
    )
    .addHelpText(
      'after',
      `\nReport formats (--format):\n${REPORT_FORMATS.map((f) => `  ${f.name.padEnd(12)} ${f.description}`).join('\n')}`,
    );
}

function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

/**
 * Every command of `lab`, declared once: its arguments, options, defaults, help text and examples. The help,
 * the version, the completion scripts and the argument parsing all come from this. `onCommand` receives what
 * the user asked for; nothing runs here.
 */
export function buildProgram(onCommand: (inv: Invocation) => void = () => undefined): Command {
  const program = new Command('lab')
    .description('toplab — network labs in Docker containers, graded from real packets')
    .version(versionLine(), '-V, --version', "print toplab's version")
    .helpOption('-h, --help', 'show this help (lab <command> --help: the help of a command)')
    .addHelpCommand(
      new Command('help').argument('[command]', 'the command').description('help for a command: lab help <command>').helpGroup(SHELL),
    )
    .addOption(
      new Option(
        '--engines <file>',
        'spread instances over the Docker engines of an engines.yaml; without one, the local engine alone (docs/scale.md)',
      ).env('TOPLAB_ENGINES'),
    )
    // Wrapped to the terminal, or to 100 columns in a pipe or a file.
    .configureHelp({
      showGlobalOptions: true,
      sortSubcommands: false,
      helpWidth: Math.min(process.stdout.columns || 100, 120),
      // `up <lab>` rather than `up [options] <lab>`: every command has options; the list stays narrow.
      subcommandTerm: (cmd) =>
        [
          cmd.name(),
          ...cmd.registeredArguments.map((a) =>
            a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`,
          ),
        ].join(' '),
    })
    .addHelpText(
      'after',
      `
Exit codes: 0 all checks passed · 1 a check failed · 2 usage · 3 invalid lab · 4 engine or tool error ·
130/143/129 stopped by SIGINT/SIGTERM/SIGHUP (what the command had created is removed first)
Engine: DOCKER_HOST, or unix:///var/run/docker.sock. No engine? On Debian as root: bash scripts/ensure-docker.sh
`,
    );

  const leaf = (cmd: Command): Command =>
    cmd.action((...a: unknown[]) => {
      const c = a[a.length - 1] as Command;
      const names = c.registeredArguments.map((x) => x.name());
      const args = Object.fromEntries(names.map((n, i) => [n, c.processedArgs[i] as string | string[] | undefined]));
      const path: string[] = [];
      for (let p: Command | null = c; p && p !== program; p = p.parent) path.unshift(p.name());
      onCommand({ command: path.join(' '), args, options: c.optsWithGlobals() });
    });

  // For students
  program.commandsGroup(STUDENTS);
  leaf(
    program
      .command('list')
      .summary('the labs in labs/, with their titles')
      .description('Lists the labs in labs/ (or TOPLAB_LABS_DIR) with their titles. Exit code 3 when one of them is not a valid lab.')
      .option('--json', 'the list as JSON: [{ name, title, file }]')
      .option('--names', 'the names only, one a line (for scripts and shell completion)'),
  );
  leaf(
    examples(
      program
        .command('up')
        .argument('<lab>', 'a lab name (a folder of labs/), a lab folder or a lab.yaml')
        .summary('bring a lab up (builds the lab image on first use) and start its servers')
        .description(
          "Creates the lab's internal networks and containers, installs its programs, starts its servers and waits until they are ready, then prints each node with its addresses. Running it again on a running lab changes nothing. The first run builds the lab image (about a minute and a half).\n\nRouters, IPv6 networks: toplab adds rules for lab bridges (tl-*) to the host's packet filter, through a short-lived helper container: frames bridged on a lab bridge pass Docker's isolation (so routers work), and IPv6 is neither routed by the host to or from lab bridges nor answered by it.",
        )
        .addOption(instanceOption())
        .option('--dry-run', 'print the plan (networks, subnets, containers, addresses, routes); touch nothing')
        .addOption(
          new Option(
            '--subnet-pool <cidr>',
            'take instance subnets from this IPv4 range (default 10.128.0.0/9); IPv6 ones come from TOPLAB_SUBNET_POOL6, else fd70:b1ab:c0de::/48',
          ).env('TOPLAB_SUBNET_POOL'),
        ),
      ['lab up tcp-handshake', 'lab up tcp-handshake --instance second', 'lab up traceroute --dry-run'],
    ),
  );
  leaf(
    examples(
      program
        .command('exec')
        .argument('<lab>', 'the lab')
        .argument('<node>', 'the node to run the command in')
        .usage('[options] <lab> <node> -- <command> [args...]')
        .summary('run a command in a node: lab exec <lab> <node> -- <command>')
        .description(
          "Runs a command in a node and exits with its exit code. Everything after -- is the command, options included. From a terminal the command gets one (a shell in a node works, keys and Ctrl-C included); otherwise what is piped in goes to the command, and stdout and stderr stay separate. Commands run as the user 'student' (uid 1000), like the lab's programs. Nodes have no capabilities: tools that need them (tcpdump, iptables, ip route add) run with --privileged, in the node's observer, which shares the node's network and processes.",
        )
        .addOption(instanceOption())
        .option('--privileged', "run as root in the node's observer, with the capabilities tcpdump and iptables need")
        .option('--user <name>', 'run as this user of the node (default: student; not with --privileged)')
        .option('-T, --no-tty', 'no terminal even when run from one (output stays plain, stderr separate)'),
      [
        'lab exec tcp-handshake server -- netstat -tlnp',
        'lab exec tcp-handshake client -- bash',
        'echo hello | lab exec tcp-handshake client -- nc -N server 9000',
        'lab exec tcp-handshake --privileged server -- tcpdump -i any -nn -c 5 tcp port 9000',
      ],
    ),
  );
  leaf(
    examples(
      program
        .command('init')
        .argument('<lab>', 'the lab')
        .argument('[dir]', 'the folder to make it in (default: ./<lab>)')
        .summary("a workspace of your own: the lab's starter files and READMEs, in dir (./<lab>)")
        .description(
          "Makes a workspace of your own for a lab in <dir> (default ./<lab>): the lab's starter files (the programs, command and answer files you write), its README.md and README.zh.md, and .toplab.json naming the lab. Nothing is overwritten: when <dir> already holds one of these files, nothing is written. Then edit your files there and run `lab check` in that folder (or below it).",
        ),
      ['lab init tcp-handshake && cd tcp-handshake && lab check', 'lab init udp-echo ~/work/udp'],
    ),
  );
  leaf(
    examples(
      reportOptions(
        program
          .command('check')
          .argument('[lab]', "the lab (default: the workspace's)")
          .summary('in a workspace: grade your files on the running lab (--ladder: draw the exchange)')
          .description(
            [
              'Runs the exercise on the lab (bringing it up first if needed) and grades every check: captures packets, runs the programs, reads socket tables. What it grades:',
              "- in a workspace made by `lab init` (this folder or one above it): your files there, for its lab; captures and program output go to the workspace's results/;",
              '- with --submission <dir>: the files in <dir>;',
              '- otherwise the lab\'s own reference files in labs/<lab>/, and the report says so ("reference": true).',
              "Your files are taken as `lab grade` takes them: one you lack is graded as missing, never replaced by the lab's. Unlike `lab grade`, the check runs on your running lab (`lab up`), which stays up.",
              '',
              'Exit code 0 when every check passes, 1 when one fails, 4 when the tool could not run (a report with status "error" is still written).',
            ].join('\n'),
          )
          .option('--submission <dir>', "grade the files in <dir> (a workspace, or any folder of a student's files)")
          .addOption(instanceOption()),
        "results/; in a workspace, the workspace's results/",
      ),
      [
        'lab check                                     # in a workspace',
        'lab check tcp-handshake --ladder',
        'lab check tcp-handshake --submission alice/ --format junit -o report.xml',
      ],
    ),
  );
  leaf(
    examples(
      program
        .command('ladder')
        .argument('<capture>', 'a pcap or pcapng file')
        .argument('[endpoints...]', 'with --between: the two endpoints')
        .summary("draw a capture's exchange: segments, seq/ack, each side's TCP state")
        .description(
          "Draws an exchange of a capture (pcap or pcapng, e.g. one `lab check` kept under results/) as a ladder: one arrow per segment with its flags, seq/ack relative to each side's ISN and absolute, its length, and each side's TCP state after it (RFC 9293: CLOSED, LISTEN, SYN-SENT, SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, ...). UDP datagrams and ICMP echoes are plain arrows. Without --between, the capture's first exchange. `lab check <lab> --ladder` draws the ladders of a lab's own captures. Colour only on a terminal, never with NO_COLOR set.",
        )
        .option('--between', 'draw the exchange between the two endpoints given: 10.0.1.20:40312, 10.0.1.10 (any port) or [fd00::10]:9000')
        .addOption(new Option('--protocol <p>', 'only an exchange of this protocol').choices(['tcp', 'udp', 'icmp']))
        .addOption(
          new Option(
            '--format <f>',
            'terminal (Unicode, plain ASCII outside a UTF-8 locale), ascii, mermaid (a sequenceDiagram for a README) or json',
          )
            .choices(['terminal', 'ascii', 'mermaid', 'json'])
            .default('terminal'),
        )
        .option('--all', 'every exchange of the capture, one after the other')
        .option('--list', 'list the exchanges (protocol, endpoints, packets) and stop'),
      ['lab ladder results/tcp-handshake/default-*/wire.pcap', 'lab ladder wire.pcap --between 10.0.1.20 10.0.1.10:9000 --format mermaid'],
    ),
  );
  leaf(
    program
      .command('status')
      .argument('[lab]', 'only this lab')
      .summary('running labs, their nodes and addresses')
      .description(
        "Lists running toplab labs: each instance's networks with their real and declared subnets, and its nodes with their real addresses, read from Docker's labels (no state file). Orphans (left by crashed or killed commands) are marked.",
      )
      .option('--instance <name>', 'only this instance')
      .addOption(new Option('--format <f>', 'terminal or json').choices(['terminal', 'json']).default('terminal'))
      .option('--json', 'the same as --format json'),
  );
  leaf(
    examples(
      program
        .command('down')
        .argument('[lab]', 'the lab (not with --all or --orphans)')
        .summary("remove a lab's containers and networks")
        .description(
          "Removes a lab instance's containers and networks, found by toplab's labels alone. The lab is named the way `lab up` named it: by the `name:` in the lab file a name, folder or path leads to. With --orphans, only what crashed or killed commands left (see `lab prune`). With --all, every toplab lab on this engine, other users' included. Never touches anything toplab did not create.",
        )
        .addOption(instanceOption('the instance to remove'))
        .option('--all', "every toplab lab on this engine, other users' included")
        .option('--orphans', 'only what crashed or killed commands left (the same as lab prune)'),
      ['lab down tcp-handshake', 'lab down tcp-handshake --instance second', 'lab down --orphans'],
    ),
  );
  leaf(
    program
      .command('prune')
      .summary('remove what crashed or killed commands left (same as down --orphans)')
      .description(
        "Removes orphans: grading instances whose grader is gone (its process ended on this host, or, from another host, its lease ran out) and instances whose `lab up` stopped half way. Never a lab that `lab up` finished (it is the user's until `lab down`), never anything whose owner still runs, never anything without toplab's ownership labels. `lab status` marks orphans. Every command also removes, at its start, orphans whose lease has run out (TOPLAB_LEASE_SECONDS, default 900).",
      ),
  );

  // For instructors
  program.commandsGroup(INSTRUCTORS);
  leaf(
    examples(
      reportOptions(
        program
          .command('grade')
          .argument('<lab>', 'the lab')
          .usage('[options] <lab> --submission <path> | --submissions <dir>')
          .summary("grade a student's folder (or a class's) in fresh, isolated instances")
          .description(
            "Grades a submission in a fresh instance that is removed afterwards. <path> is a folder (or a single file) holding the files the lab says a student submits (submission.files; default: every program's source). A missing or misnamed one is graded as absent ('expected server.ts; found Server.ts'), never replaced by the lab's reference; other files are not used. A submission that does not compile, crashes, never listens, never ends, floods its output or exhausts its limits is graded 'failed', in bounded time.\n\nWith --submissions, every subfolder of <dir> is one student's submission; they are graded --parallel at a time, each in its own instance. Each student's report goes to <out>/<student>/report.json (and, with --format, results.json for gradescope or report.<ext>), the class summary to <out>/summary.csv and summary.json (student, score, status, failed checks). <out> is --output, or results/<lab>/batch-<time>.\n\nWith an engines file (--engines FILE or TOPLAB_ENGINES) the whole pool grades: each engine as many at once as its free capacity (--parallel caps that per engine). An engine that stops answering is dropped within seconds and what it was grading is graded again on the others; summary.json says which engine graded whom.",
          )
          .option('--submission <path>', "one student's folder or file")
          .option('--submissions <dir>', "a folder of students' folders")
          .option(
            '--parallel <n>',
            `with --submissions: submissions graded at once (default: 4 per CPU, 4 to 16, fewer when free memory is short: ${defaultBatchParallel()} here now)`,
          )
          .option('--instance <name>', 'the name of the fresh instance (default: grade-<random>); still removed afterwards'),
      ),
      ['lab grade tcp-handshake --submission alice/', 'lab grade tcp-handshake --submissions class/ --format gradescope --output out/'],
    ),
  );
  leaf(
    program
      .command('validate')
      .argument('<labs...>', 'lab names, folders or lab.yaml files')
      .summary('check lab files without touching Docker')
      .description(
        "Checks lab files against the schema and their references, and each mistake's expect.yaml (the checks it declares it fails), without touching Docker. Every problem is reported as file:line:col: path: message.",
      ),
  );
  leaf(
    examples(
      program
        .command('new')
        .argument('<name>', "the lab's name: lower-case letters, digits and hyphens")
        .summary('start a new lab: lab.yaml, reference, starter, READMEs, a mistake')
        .description(
          'Starts a lab: <folder>/<name>/ (default folder: labs/) with lab.yaml (its schema line first), a reference server.ts and client.ts, starter/ for students, README.md and README.zh.md, and one mistake (mistakes/listens-on-localhost/) with the checks it fails in its expect.yaml. As made, it validates and passes `lab selftest`: a TCP echo graded on the listening socket, the handshake, the echo and the close. Then make it yours, and run `lab selftest <name>` before publishing it.',
        )
        .option('--title <text>', "the lab's title (default: from the name)")
        .option('--dir <folder>', 'where to make it (default: labs/, or TOPLAB_LABS_DIR)'),
      ['lab new dns-lookup --title "Asking a DNS server"'],
    ),
  );
  leaf(
    examples(
      program
        .command('selftest')
        .argument('[labs...]', 'the labs (default: every lab in labs/)')
        .summary('the reference must score full marks, each mistake fail what it declares')
        .description(
          "What a lab's author runs before publishing it. The reference must score full marks, and every mistake (labs/<lab>/mistakes/<m>/) must fail exactly the checks its expect.yaml declares (`why: ...` and `fails: [handshake, echo]`), every other check passing. Each case is graded like `lab grade`, in its own fresh instance that is removed afterwards. Prints one line per case; exits 0 when every case behaves as declared, 1 on any mismatch, 4 when a case could not be graded.",
        )
        .option('--case <name>', "only this case: reference, or a mistake's folder name")
        .option('--parallel <n>', 'cases graded at once (default: the number of CPUs)')
        .addOption(new Option('--format <f>', 'terminal or json').choices(['terminal', 'json']).default('terminal'))
        .option('-o, --output <file>', 'also write the JSON report to a file')
        .option('--results <dir>', "keep each case's captures and program output under <dir>/<lab>/<case>/")
        .option('--instance <name>', "the instance's name, for a run of one case (it is still removed afterwards)"),
      [
        'lab selftest tcp-handshake',
        'lab selftest                                  # every lab',
        'lab selftest path/to/my-lab --case reference',
      ],
    ),
  );
  leaf(
    examples(
      program
        .command('graph')
        .argument('<lab>', 'the lab')
        .summary("the lab's topology as Mermaid or Graphviz DOT")
        .description(
          "Prints the lab's networks, nodes (with their descriptions), addresses, routes and link impairments: as written in lab.yaml, or with --instance as that running instance has them. The default instance gets the lab's own subnets when they are free on the engine (lab up says when it could not); a named instance always has subnets of its own.",
        )
        .addOption(new Option('--format <f>', 'mermaid or dot (Graphviz)').choices(['mermaid', 'dot']).default('mermaid'))
        .option('--instance <name>', "draw that running instance's real subnets and addresses")
        .option('--write-readme', "put the Mermaid graph in the lab's README.md, between its graph markers"),
      ['lab graph traceroute', 'lab graph tcp-handshake --format dot | dot -Tsvg > lab.svg', 'lab graph tcp-handshake --instance default'],
    ),
  );
  const image = program
    .command('image')
    .summary('build the lab image, or remove lab images of older definitions')
    .description('The lab image every node runs.');
  leaf(
    image
      .command('build')
      .description(
        'Builds the lab image if missing. offline: debootstrap + docker import (no registry needed; needs root and debootstrap); dockerfile: docker build from a Debian base image (needs a registry).',
      )
      .addOption(new Option('--builder <b>', 'how to build it').choices(['auto', 'offline', 'dockerfile']).default('auto'))
      .option('--force', 'build it again even when it exists'),
  );
  leaf(image.command('prune').description('Removes toplab lab images whose definition is out of date.'));

  // Workshops and engines
  program.commandsGroup(WORKSHOPS);
  const engines = program
    .command('engines')
    .summary('the engines of the pool: health, version, image, instances/capacity')
    .description(
      'With an engines file (--engines FILE or TOPLAB_ENGINES), the engines of the pool. Each new instance goes whole onto one engine: one that answers, is not draining and is below capacity, preferring one that has the lab image, then the least loaded. See docs/scale.md.',
    );
  leaf(
    engines
      .command('list', { isDefault: true })
      .description(
        'Lists each engine: whether it answers, its Docker version, whether it holds the lab image, and its lab instances against its capacity. Exit code 4 when an engine does not answer.',
      )
      .addOption(new Option('--format <f>', 'terminal or json').choices(['terminal', 'json']).default('terminal')),
  );
  leaf(
    engines
      .command('drain')
      .argument('<name>', 'the engine')
      .description('The engine keeps its instances but gets no new ones (every toplab using it sees this).'),
  );
  leaf(engines.command('undrain').argument('<name>', 'the engine').description('The engine takes new instances again.'));
  leaf(
    program
      .command('serve')
      .summary('the workshop server: a lab instance per student, in the browser')
      .description(
        'The workshop server (docs/workshop.md): students join with an event code, each gets an instance of the lab, edits its files, opens terminals in its nodes and presses Check (the same checks as lab check). Runs until SIGINT or SIGTERM. The admin token is printed once on first start (only its hash is stored); TOPLAB_ADMIN_TOKEN sets it.',
      )
      .addOption(new Option('--port <n>', 'port (0: any free one)').env('TOPLAB_PORT').default('8080'))
      .option('--host <addr>', 'address to listen on (anything but loopback has no TLS: put a proxy in front)', '127.0.0.1')
      .addOption(new Option('--data <dir>', 'database and attempt files (default: ./toplab-data)').env('TOPLAB_DATA'))
      .option(
        '--warm <n>',
        "instances kept up ahead of joins, per workshop, for workshops created without their own (`lab workshop create --warm` sets a workshop's own)",
        '2',
      )
      .option('--idle <minutes>', 'remove an instance after this long without activity, warning first (0: never)', '30')
      .addOption(new Option('--origin <url...>', 'another origin the pages may be served from (repeat, or TOPLAB_ORIGINS=a,b)'))
      .addOption(
        new Option('--public-url <url>', 'the address students open (join links; default http://host:port)').env('TOPLAB_PUBLIC_URL'),
      )
      .option('--max-instances <n>', "instances at most, all workshops (default: 40, or with --engines the sum of the engines' capacities)")
      .option('--parallel <n>', 'instances created at the same time (default: 2, or with --engines 2 per engine, at most 16)')
      .option('--terminal-keep <minutes>', "minutes a terminal's shell is kept after its page closed", '5')
      .option('--secure-cookies', 'mark cookies Secure (behind a TLS proxy)')
      .addOption(new Option('--remove-on-exit', 'remove every lab instance when stopped (Compose sets it)').env('TOPLAB_REMOVE_ON_EXIT')),
  );
  const workshop = program
    .command('workshop')
    .summary("workshops in the server's database, for scripts: create, list, export, end")
    .description("Works on the workshop server's database (--data DIR, else TOPLAB_DATA, else ./toplab-data), running or not.");
  const dataOption = (): Option => new Option('--data <dir>', "the server's data folder (default: ./toplab-data)").env('TOPLAB_DATA');
  leaf(
    workshop
      .command('create')
      .argument('<labs>', 'the lab, or labs separated by commas')
      .description(
        "Creates a workshop and prints its join code. Several labs (tcp-handshake,udp-echo) are done in the order given. The roster file has one name a line (a CSV's first column).",
      )
      .addOption(dataOption())
      .option('--capacity <n>', 'places', '30')
      .option('--ends <time>', 'when it ends: an ISO time, or +90m / +2h from now', '+3h')
      .option('--warm <n>', 'instances kept up ahead of joins', '2')
      .option('--roster <file>', 'the names allowed to join, one a line')
      .option('--title <text>', "the workshop's title (default: the first lab's)")
      // Checked by the command, whose message says what each choice means.
      .option(
        '--progression <p>',
        'with several labs, done in the order given: ordered (the default; a student opens the next lab once they have passed the furthest one reached) or free (any lab at any time)',
      ),
  );
  leaf(
    workshop
      .command('list')
      .description('Lists the workshops: id, code, open or ended, students, ends, labs, title.')
      .addOption(dataOption()),
  );
  leaf(
    workshop
      .command('export')
      .argument('<workshop>', "the workshop's id or code")
      .description("Exports a workshop's results, or its evidence bundle (a .tar.gz of every attempt).")
      .addOption(dataOption())
      .addOption(new Option('--format <f>', 'csv, bundle, or a report format').choices(['csv', 'bundle', ...FORMAT_NAMES]).default('csv'))
      .option('--lab <lab>', "only this lab's grades (a workshop of several labs)")
      .option('-o, --output <file>', 'write it to a file'),
  );
  leaf(
    workshop
      .command('end')
      .argument('<workshop>', "the workshop's id or code")
      .description('Ends a workshop: its containers are removed; files and results are kept.')
      .addOption(dataOption()),
  );

  program.commandsGroup(SHELL);
  leaf(
    examples(
      program
        .command('completion')
        .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
        .summary('print a shell completion script: commands, options and lab names')
        .description(
          'Prints a completion script for the shell, generated from the commands as declared here. Lab names are completed from `lab list --names`.',
        ),
      [
        'source <(lab completion bash)        # in ~/.bashrc',
        'source <(lab completion zsh)         # in ~/.zshrc',
        'lab completion fish > ~/.config/fish/completions/lab.fish',
      ],
    ),
  );
  return program;
}

/** Every command name (and `help`): what a mistyped command is compared with. */
function commandNames(program: Command): string[] {
  return [...program.commands.map((c) => c.name()), 'help'];
}

/** The first word that names a command, skipping the global options (and the value of `--engines`). */
function commandWordIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return -1;
    if (a === '--engines') i++;
    else if (!a.startsWith('-')) return i;
  }
  return -1;
}

/** How many operands `lab exec`'s own arguments hold (options and their values skipped): more than lab and node means a command not put after `--`. */
function execOperands(args: string[]): number {
  let n = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--instance' || a === '--user' || a === '--engines') i++;
    else if (!a.startsWith('-')) n++;
  }
  return n;
}

function unknownCommand(word: string, program: Command): UsageError {
  const best = closest(word, commandNames(program));
  return new UsageError(`unknown command '${word}'${best ? `; did you mean \`lab ${best}\`?` : ''}`, {
    hint: 'run `lab help` for the commands',
  });
}

/** Our message for what commander refused, with the command's help as the hint. */
function usageErrorOf(e: CommanderError, command: string): UsageError {
  let message = e.message.replace(/^error: /, '');
  const didYouMean = /\n\(Did you mean (.+)\?\)$/.exec(message);
  const suggested = didYouMean ? `; did you mean \`${didYouMean[1] ?? ''}\`?` : '';
  if (didYouMean) message = message.slice(0, didYouMean.index);
  const where = command === '' ? 'lab' : `lab ${command}`;
  const help = `see \`${where} --help\``;
  switch (e.code) {
    case 'commander.missingArgument': {
      const arg = /'([^']+)'/.exec(message)?.[1] ?? '';
      if (arg === 'lab' || arg === 'labs')
        return new UsageError(`which lab? e.g. ${where} tcp-handshake`, { hint: 'run `lab list` to see the labs' });
      return new UsageError(`${where}: ${message}`, { hint: help });
    }
    case 'commander.unknownOption':
      return new UsageError(`${message} for ${where}${suggested}`, { hint: help });
    case 'commander.excessArguments':
      return new UsageError(`${where}: ${message.replace(/ for '[^']*'/, '')}`, { hint: help });
    case 'commander.unknownCommand': {
      const word = /'([^']+)'/.exec(message)?.[1] ?? '';
      return new UsageError(`unknown command '${command} ${word}'${suggested}`, { hint: help });
    }
    default:
      return new UsageError(`${where}: ${message}${suggested}`, { hint: help });
  }
}

/**
 * Parses `lab`'s command line (without `node` and the script). Returns what to run, or, when it printed help or
 * the version through `print`, the exit code. Throws a UsageError (exit code 2) for anything it cannot take:
 * an unknown command or option (with "did you mean"), a missing argument, `lab foo --help` for a command that
 * does not exist. Everything after `--` belongs to `lab exec`'s command and is never parsed as options.
 */
export function parseCommandLine(
  argv: string[],
  print: (text: string) => void = (t) => void process.stdout.write(t),
): Invocation | Printed {
  let parsed: Invocation | undefined;
  let current = '';
  const program = buildProgram((inv) => (parsed = inv));
  const silence = (cmd: Command): void => {
    // Help asked for goes to `print`; what commander would print for an error becomes our UsageError instead.
    cmd.exitOverride().configureOutput({ writeOut: print, writeErr: () => undefined, outputError: () => undefined });
    for (const sub of cmd.commands) silence(sub);
  };
  silence(program);
  program.hook('preSubcommand', (_parent, sub) => {
    current = current === '' ? sub.name() : `${current} ${sub.name()}`;
  });
  for (const c of program.commands) c.hook('preSubcommand', (_parent, sub) => void (current = `${c.name()} ${sub.name()}`));

  const at = commandWordIndex(argv);
  const word = at < 0 ? undefined : argv[at];
  if (word === undefined && argv.length === 0) {
    print(fullHelp(program));
    return { exitCode: 0 };
  }
  if (word !== undefined && !commandNames(program).includes(word)) throw unknownCommand(word, program);
  if (word === 'help') {
    const topic = argv.slice(at + 1).filter((a) => !a.startsWith('-'));
    const sub = topic[0] === undefined ? undefined : program.commands.find((c) => c.name() === topic[0]);
    if (topic[0] !== undefined && !sub) throw unknownCommand(topic[0], program);
    const nested = sub && topic[1] !== undefined ? sub.commands.find((c) => c.name() === topic[1]) : undefined;
    if (sub && topic[1] !== undefined && !nested)
      throw usageErrorOf(new CommanderError(2, 'commander.unknownCommand', `unknown command '${topic[1]}'`), sub.name());
    print(fullHelp(nested ?? sub ?? program));
    return { exitCode: 0 };
  }
  // `lab exec LAB NODE -- cmd -h`: what follows `--` is the command's, whatever it looks like.
  const dash = argv.indexOf('--');
  const isExec = word === 'exec';
  if (isExec && dash < 0 && execOperands(argv.slice(at + 1)) > 2)
    throw new UsageError('put the command after --, e.g. lab exec tcp-handshake server -- netstat -tlnp', {
      hint: 'everything after -- is the command, its options included',
    });
  const own = isExec && dash >= 0 ? argv.slice(0, dash) : argv;
  try {
    program.parse(own, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return { exitCode: 0 };
    if (e.code === 'commander.help') {
      // A command of subcommands given none (`lab image`).
      const sub = program.commands.find((c) => c.name() === current);
      throw new UsageError(`which ${current} command? ${(sub?.commands ?? []).map((c) => `lab ${current} ${c.name()}`).join(', ')}`, {
        hint: `see \`lab ${current} --help\``,
      });
    }
    throw usageErrorOf(e, current);
  }
  if (parsed === undefined) throw new Error(`the command line ${argv.join(' ')} named no command`);
  const inv: Invocation = parsed;
  if (isExec) {
    const command = dash >= 0 ? argv.slice(dash + 1) : [];
    if (command.length === 0)
      throw new UsageError('put the command after --, e.g. lab exec tcp-handshake server -- netstat -tlnp', {
        hint: 'see `lab exec --help`',
      });
    inv.args.command = command;
  }
  return inv;
}

/** One option of a command, for the completion scripts. */
export interface OptionShape {
  long?: string;
  short?: string;
  description: string;
  /** It takes a value (`--instance <name>`). */
  takesValue: boolean;
  /** Its value is one of these. */
  choices?: string[];
}

/** A declared command, for the completion scripts: its path (`image build`), options and what its arguments are. */
export interface CommandShape {
  path: string[];
  summary: string;
  options: OptionShape[];
  /** Its first argument is a lab (completed with the lab names); `many` when it takes several. */
  takesLab: false | 'one' | 'many';
  subcommands: string[];
}

function optionShape(o: Option): OptionShape {
  return {
    ...(o.long !== undefined ? { long: o.long } : {}),
    ...(o.short !== undefined ? { short: o.short } : {}),
    description: o.description,
    takesValue: o.required || o.optional,
    ...(o.argChoices !== undefined ? { choices: o.argChoices } : {}),
  };
}

/** Every declared command (subcommands after their parent), with the global options and --help in each. */
export function commandShapes(program: Command = buildProgram()): CommandShape[] {
  const out: CommandShape[] = [];
  const globals = program.options.filter((o) => o.long !== '--version').map(optionShape);
  const help: OptionShape = { long: '--help', short: '-h', description: 'help for this command', takesValue: false };
  const walk = (cmd: Command, path: string[]): void => {
    for (const sub of cmd.commands) {
      const p = [...path, sub.name()];
      const first = sub.registeredArguments[0];
      const takesLab = first?.name() === 'lab' ? 'one' : first?.name() === 'labs' ? (first.variadic ? 'many' : 'one') : false;
      out.push({
        path: p,
        summary: sub.summary() || sub.description().split('\n')[0] || '',
        options: [...sub.options.map(optionShape), ...globals, help],
        takesLab,
        subcommands: sub.commands.map((c) => c.name()),
      });
      walk(sub, p);
    }
  };
  walk(program, []);
  return out;
}

/** A command's help as `--help` prints it: helpInformation() and the text added before and after it (examples). */
function fullHelp(cmd: Command): string {
  let text = '';
  const saved = cmd.configureOutput();
  cmd.configureOutput({ ...saved, writeOut: (s) => void (text += s) });
  try {
    cmd.outputHelp();
  } finally {
    cmd.configureOutput(saved);
  }
  return text;
}

/** The help of `lab` (key '') and of every command (key: its path, e.g. `image build`), as `--help` prints it. */
export function helpTexts(program: Command = buildProgram()): Record<string, string> {
  const out: Record<string, string> = { '': fullHelp(program) };
  const walk = (cmd: Command, path: string[]): void => {
    for (const sub of cmd.commands) {
      const p = [...path, sub.name()];
      out[p.join(' ')] = fullHelp(sub);
      walk(sub, p);
    }
  };
  walk(program, []);
  return out;
}
