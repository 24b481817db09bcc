import { LADDER_HELP } from './ladder.js';
import { NEW_LAB_HELP } from './new-lab.js';
import { SELFTEST_HELP } from './selftest.js';

export const HELP = `toplab — network labs in Docker containers, graded from real packets

Usage: lab <command> [options]

For students
  list                          the labs in labs/, with their titles
  up <lab>                      bring a lab up (builds the lab image on first use) and start its servers
  exec <lab> <node> -- <cmd>    run a command in a node, e.g. lab exec tcp-handshake server -- netstat -tlnp
  init <lab> [dir]              a workspace of your own: the lab's starter files and READMEs, in dir (./<lab>)
  check [<lab>]                 in a workspace: grade your files on the running lab (--ladder: draw the exchange)
  ladder <capture.pcap>         draw a capture's exchange: segments, seq/ack, each side's TCP state
  status                        running labs, their nodes and addresses
  down <lab> | --all            remove a lab's containers and networks
  prune                         remove what crashed or killed commands left (same as down --orphans)

For instructors
  grade <lab> --submission <p>  grade a student's folder (or file) in a fresh, isolated instance
  validate <lab|file>           check a lab file without touching Docker
  new <name>                    start a new lab: lab.yaml, reference, starter, READMEs, a mistake
  selftest [<lab>...]           the reference must score full marks, each mistake fail what it declares
  graph <lab>                   the lab's topology as Mermaid or Graphviz DOT
  image build                   build the lab image (offline with debootstrap, or from a Dockerfile)
  image prune                   remove lab images of older definitions
  engines [drain|undrain NAME]  the engines of the pool: health, version, image, instances/capacity
  serve                         the workshop server: a lab instance per student, in the browser
  workshop create|list|export|end   workshops in the server's database, for scripts

Common options
  --instance <name>             work on a separate copy of the lab (default: default)
  --engines <file>              spread instances over the Docker engines of an engines.yaml (also
                                TOPLAB_ENGINES); without one, the local engine alone (docs/scale.md)
  -h, --help                    help for a command: lab <command> --help

Exit codes: 0 all checks passed · 1 a check failed · 2 usage · 3 invalid lab · 4 engine or tool error ·
130/143/129 stopped by SIGINT/SIGTERM/SIGHUP (what the command had created is removed first)
Engine: DOCKER_HOST, or unix:///var/run/docker.sock. No engine? On Debian as root: bash scripts/ensure-docker.sh
`;

export const COMMAND_HELP: Record<string, string> = {
  engines: `Usage: lab engines [--format json] | lab engines drain NAME | lab engines undrain NAME

With an engines file (--engines FILE or TOPLAB_ENGINES), lists each engine: whether it answers, its Docker
version, whether it holds the lab image, and its lab instances against its capacity. Exit code 4 when an
engine does not answer.

  drain NAME          the engine keeps its instances but gets no new ones (every toplab using it sees this)
  undrain NAME        it takes new instances again

Each new instance goes whole onto one engine: one that answers, is not draining and is below capacity,
preferring one that has the lab image, then the least loaded. See docs/scale.md.
`,
  selftest: SELFTEST_HELP,
  new: NEW_LAB_HELP,
  ladder: LADDER_HELP,
  list: `Usage: lab list\n\nLists the labs in labs/ with their titles.\n`,
  up: `Usage: lab up <lab> [--instance <name>] [--dry-run] [--subnet-pool <cidr>]

Creates the lab's internal networks and containers, installs its programs, starts its servers and waits
until they are ready, then prints each node with its addresses. Running it again on a running lab
changes nothing. The first run builds the lab image (about a minute and a half).

  --instance <name>   a separate copy of the lab, with its own subnets (default: default)
  --dry-run           print the plan (networks, subnets, containers, addresses, routes); touch nothing
  --subnet-pool <c>   take instance subnets from this IPv4 range (default: TOPLAB_SUBNET_POOL, else
                      10.128.0.0/9); IPv6 ones come from TOPLAB_SUBNET_POOL6, else fd70:b1ab:c0de::/48

Routers, IPv6 networks: toplab adds rules for lab bridges (tl-*) to the host's packet filter, through a
short-lived helper container: frames bridged on a lab bridge pass Docker's isolation (so routers work),
and IPv6 is neither routed by the host to or from lab bridges nor answered by it.
`,
  down: `Usage: lab down <lab> [--instance <name>] | lab down --orphans | lab down --all

Removes a lab instance's containers and networks, found by toplab's labels alone. The lab is named the
way \`lab up\` named it: by the \`name:\` in the lab file a name, folder or path leads to. With --orphans,
only what crashed or killed commands left (see \`lab prune\`). With --all, every toplab lab on this
engine, other users' included. Never touches anything toplab did not create.
`,
  prune: `Usage: lab prune

Removes orphans: grading instances whose grader is gone (its process ended on this host, or, from another
host, its lease ran out) and instances whose \`lab up\` stopped half way. Never a lab that \`lab up\`
finished (it is the user's until \`lab down\`), never anything whose owner still runs, never anything
without toplab's ownership labels. \`lab status\` marks orphans. Every command also removes, at its start,
orphans whose lease has run out (TOPLAB_LEASE_SECONDS, default 900).
`,
  exec: `Usage: lab exec <lab> [--instance <name>] [--privileged] [--no-tty] <node> -- <command> [args...]

Runs a command in a node and exits with its exit code. From a terminal the command gets one (a shell in a
node works, keys and Ctrl-C included); otherwise what is piped in goes to the command, and stdout and
stderr stay separate. Commands run as the user 'student' (uid 1000), like the lab's programs. Nodes have
no capabilities: tools that need them (tcpdump, iptables, ip route add) run with --privileged, in the
node's observer, which shares the node's network and processes.

  --no-tty, -T        no terminal even when run from one (output stays plain, stderr separate)

  lab exec tcp-handshake server -- netstat -tlnp
  lab exec tcp-handshake client -- bash
  echo hello | lab exec tcp-handshake client -- nc -N server 9000
  lab exec tcp-handshake --privileged server -- tcpdump -i any -nn -c 5 tcp port 9000
`,
  init: `Usage: lab init <lab> [<dir>]

Makes a workspace of your own for a lab in <dir> (default ./<lab>): the lab's starter files (the programs,
command and answer files you write), its README.md and README.zh.md, and .toplab.json naming the lab.
Nothing is overwritten: when <dir> already holds one of these files, nothing is written. Then edit your
files there and run \`lab check\` in that folder (or below it).

  lab init tcp-handshake && cd tcp-handshake && lab check
`,
  check: `Usage: lab check [<lab>] [--submission <dir>] [--instance <name>] [--format <f>] [--output <file>] [--verbose]

Runs the exercise on the lab (bringing it up first if needed) and grades every check: captures packets,
runs the programs, reads socket tables. What it grades:
  - in a workspace made by \`lab init\` (this folder or one above it): your files there, for its lab;
  - with --submission <dir>: the files in <dir>;
  - otherwise the lab's own reference files in labs/<lab>/, and the report says so ("reference": true).
Your files are taken as \`lab grade\` takes them: one you lack is graded as missing, never replaced by the
lab's. Unlike \`lab grade\`, the check runs on your running lab (\`lab up\`), which stays up.
Exit code 0 when every check passes, 1 when one fails, 4 when the tool could not run (a report with
status "error" is still written).

  --submission <dir>  grade the files in <dir> (a workspace, or any folder of a student's files)
  --format <f>        terminal (default), json, junit, gradescope, classroom or tap
  --output <file>     write the report in --format to a file (the terminal shows the summary)
  --results <dir>     where captures and program output go (default: results/)
  --verbose           show the evidence of every check
  --ladder            draw each capture's exchanges between the lab's nodes as a ladder: one arrow per
                      segment with flags, seq/ack (relative to each ISN, and absolute), length and each
                      side's TCP state after it; the JSON report gets a "ladder" section
  --ladder-format <f> unicode (default in a UTF-8 locale), ascii or mermaid (a sequenceDiagram); implies --ladder
`,
  grade: `Usage: lab grade <lab> --submission <path> [--instance <name>] [--format <f>] [--output <file>]
       lab grade <lab> --submissions <dir> [--parallel N] [--format <f>] [--output <dir>]

Grades a submission in a fresh instance that is removed afterwards. <path> is a folder (or a single file)
holding the files the lab says a student submits (submission.files; default: every program's source).
A missing or misnamed one is graded as absent ('expected server.ts; found Server.ts'), never replaced by
the lab's reference; other files are not used. A submission that does not compile, crashes, never
listens, never ends, floods its output or exhausts its limits is graded 'failed', in bounded time.

With --submissions, every subfolder of <dir> is one student's submission; they are graded --parallel at a
time (default: 4 per CPU, 4 to 16, fewer when memory is short), each in its own instance. Each student's report goes to
<out>/<student>/report.json (and, with --format, results.json for gradescope or report.<ext>), the class
summary to <out>/summary.csv and summary.json (student, score, status, failed checks). <out> is --output, or results/<lab>/batch-<time>.

With an engines file (--engines FILE or TOPLAB_ENGINES) the whole pool grades: each engine as many at once
as its free capacity (--parallel caps that per engine). An engine that stops answering is dropped within
seconds and what it was grading is graded again on the others; summary.json says which engine graded whom.

  --instance <name>   the name of the fresh instance (default: grade-<random>); still removed afterwards
  --format <f>        terminal (default), json, junit, gradescope, classroom or tap
  --output <file>     write the report to a file (a folder with --submissions)
  --results <dir>     where captures and program output go (default: results/)
  --verbose           show the evidence of every check
  --ladder            draw the exchanges as ladders (see lab check --help)
  --ladder-format <f> unicode, ascii or mermaid; implies --ladder
`,
  status: `Usage: lab status [<lab>] [--instance <name>] [--format terminal|json]\n\nLists running toplab labs: each instance's networks with their real and declared subnets, and its nodes\nwith their real addresses, read from Docker's labels (no state file).\n`,
  graph: `Usage: lab graph <lab> [--instance <name>] [--format mermaid|dot] [--write-readme]

Prints the lab's networks, nodes, addresses, routes and link impairments: as written in lab.yaml, or with
--instance as that running instance has them. The default instance gets the lab's own subnets when they
are free on the engine (lab up says when it could not); a named instance always has subnets of its own.

  --format <f>        mermaid (default) or dot (Graphviz: lab graph <lab> --format dot | dot -Tsvg > lab.svg)
  --instance <name>   draw that running instance's real subnets and addresses
  --write-readme      put the Mermaid graph in the lab's README.md, between its graph markers
`,
  validate: `Usage: lab validate <lab|file>...\n\nChecks lab files against the schema and their references, and each mistake's expect.yaml (the checks it\ndeclares it fails), without touching Docker. Every problem is reported as file:line:col: path: message.\n`,
  image: `Usage: lab image build [--builder auto|offline|dockerfile] [--force]
       lab image prune

build   builds the lab image if missing. offline: debootstrap + docker import (no registry needed;
        needs root and debootstrap); dockerfile: docker build from a Debian base image (needs a registry).
prune   removes toplab lab images whose definition is out of date.
`,
  serve: `Usage: lab serve [--port 8080] [--host 127.0.0.1] [--data DIR] [--warm 2] [--idle 30]
                 [--origin URL]... [--public-url URL] [--max-instances 40] [--parallel 2]
                 [--terminal-keep 5] [--secure-cookies] [--remove-on-exit]

The workshop server (docs/workshop.md): students join with an event code, each gets an instance of the
lab, edits its files, opens terminals in its nodes and presses Check (the same checks as lab check).

  --port <n>          port (0: any free one); TOPLAB_PORT
  --host <addr>       address to listen on (default 127.0.0.1; anything else has no TLS: put a proxy in front)
  --data <dir>        database and attempt files (default TOPLAB_DATA, else ./toplab-data)
  --warm <n>          instances kept up ahead of joins, per workshop (default 2)
  --idle <minutes>    remove an instance after this long without activity, warning first (0: never; default 30)
  --origin <url>      another origin the pages may be served from (repeat, or TOPLAB_ORIGINS=a,b)
  --public-url <url>  the address students open (join links; default http://host:port)
  --max-instances <n> instances on the engine at most, all workshops (default 40)
  --parallel <n>      instances created at the same time (default 2)
  --terminal-keep <m> minutes a terminal's shell is kept after its page closed (default 5)
  --remove-on-exit    remove every lab instance when stopped (TOPLAB_REMOVE_ON_EXIT=1; Compose sets it)

The admin token is printed once on first start (only its hash is stored); TOPLAB_ADMIN_TOKEN sets it.
`,
  workshop: `Usage: lab workshop create <lab>[,<lab>...] [--capacity 30] [--ends +3h|ISO] [--warm 2] [--roster FILE] [--title T]
                           [--progression ordered|free]
       lab workshop list
       lab workshop export <id|code> [--format csv|bundle|json|junit|gradescope|classroom|tap] [--lab LAB] [-o FILE]
       lab workshop end <id|code>

Works on the workshop server's database (--data DIR, else TOPLAB_DATA, else ./toplab-data), running or not.
The roster file has one name a line (a CSV's first column). Several labs are done in the order given: with
--progression ordered (the default) a student opens the next lab once they have passed the furthest one they
reached; with free, any lab at any time. --lab exports one lab's grades only.
`,
};
