/**
 * The workshop server's HTTP and WebSocket API, written once: each request's and response's JSON Schema
 * (TypeBox), and its TypeScript type (`Static` of the schema). The server (src/server/http.ts,
 * orchestrator.ts) builds its answers as these types and validates request bodies with these schemas; the pages
 * (web/src/shared/api.ts) import the same types. docs/workshop.md lists the routes.
 *
 * This module imports nothing but TypeBox: the pages' TypeScript project (web/tsconfig.json, DOM, no Node) reads
 * it too. test/unit/server/api-shapes.test.ts checks the server's real answers against these schemas.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** `{ type: string, enum: [...] }`, typed as the union of its values. */
const Literals = <const V extends readonly string[]>(values: V) => Type.Unsafe<V[number]>({ type: 'string', enum: [...values] });
/** An ISO 8601 UTC time, e.g. 2026-11-30T09:00:00.000Z. */
const Time = Type.String({ description: 'ISO 8601 UTC' });
/** Objects the server answers with carry exactly these keys: a key the pages do not know is a drift the test finds. */
const Exact = { additionalProperties: false } as const;

export const STUDENT_STATES = ['queued', 'starting', 'ready', 'checking', 'resetting', 'stopped', 'failed', 'removed'] as const;
export const StudentStateSchema = Literals(STUDENT_STATES);
/** docs/workshop.md, "States". */
export type StudentState = Static<typeof StudentStateSchema>;

export const ATTEMPT_STATUSES = ['running', 'passed', 'failed', 'error'] as const;
export const AttemptStatusSchema = Literals(ATTEMPT_STATUSES);
export type AttemptStatus = Static<typeof AttemptStatusSchema>;

/** A finished attempt's status; null before any. */
export const LastStatusSchema = Nullable(Literals(['passed', 'failed', 'error']));

export const PROGRESSIONS = ['ordered', 'free'] as const;
export const ProgressionSchema = Literals(PROGRESSIONS);
/** How students move between a workshop's labs: `ordered` (the next opens once the furthest reached passed) or `free`. */
export type Progression = Static<typeof ProgressionSchema>;

/** One lab of the workshop as one student stands on it (docs/workshop.md, "Labs in order"). */
export const LabStandingSchema = Type.Object(
  {
    name: Type.String(),
    /** The student is on this lab now. */
    current: Type.Boolean(),
    /** The student may move here (always true for the instructor's moves). */
    open: Type.Boolean(),
    /** Some attempt on this lab passed. */
    passed: Type.Boolean(),
    attempts: Type.Integer({ minimum: 0 }),
    lastScore: Nullable(Type.Number()),
    maxScore: Nullable(Type.Number()),
    lastStatus: LastStatusSchema,
    /** Check ids that did not pass in the last finished attempt on this lab. */
    failing: Type.Array(Type.String()),
  },
  Exact,
);
export type LabStanding = Static<typeof LabStandingSchema>;

export const NodeInfoSchema = Type.Object(
  {
    name: Type.String(),
    running: Type.Boolean(),
    addresses: Type.Array(
      Type.Object({ network: Type.String(), address: Type.Optional(Type.String()), address6: Type.Optional(Type.String()) }, Exact),
    ),
  },
  Exact,
);
/** A node of the student's instance: running or not, and its addresses on each network. */
export type NodeInfo = Static<typeof NodeInfoSchema>;

export const StudentSchema = Type.Object(
  {
    id: Type.String(),
    workshopId: Type.String(),
    name: Type.String(),
    /** The lab the student is on now. */
    lab: Type.String(),
    state: StudentStateSchema,
    /** 1-based while queued. */
    queuePosition: Nullable(Type.Integer({ minimum: 1 })),
    /** What a start or a check is doing now. */
    progress: Nullable(Type.String()),
    /** Why something failed, and what to do. */
    message: Nullable(Type.String()),
    joinedAt: Time,
    lastActiveAt: Time,
    /** When the instance is culled without activity. */
    idleCullAt: Nullable(Time),
    nodes: Type.Array(NodeInfoSchema),
    /** With an engine pool: the engine that holds the instance (its name in the engines file). */
    engine: Nullable(Type.String()),
    /** attempts … failing: on the current lab (`lab`). */
    attempts: Type.Integer({ minimum: 0 }),
    lastScore: Nullable(Type.Number()),
    maxScore: Nullable(Type.Number()),
    lastStatus: LastStatusSchema,
    failing: Type.Array(Type.String()),
    /** Every lab of the workshop, in order. */
    labs: Type.Array(LabStandingSchema),
  },
  Exact,
);
export type Student = Static<typeof StudentSchema>;

export const WorkshopSchema = Type.Object(
  {
    id: Type.String(),
    /** The event code students join with. */
    code: Type.String(),
    title: Type.String(),
    /** In order. */
    labs: Type.Array(Type.String()),
    progression: ProgressionSchema,
    capacity: Type.Integer({ minimum: 1 }),
    warm: Type.Integer({ minimum: 0 }),
    endsAt: Time,
    createdAt: Time,
    endedAt: Nullable(Time),
    roster: Nullable(Type.Array(Type.String())),
    /** The address students open, e.g. http://localhost:8080/join/K7QW2M. */
    joinUrl: Type.String(),
    counts: Type.Object({ students: Type.Integer(), ready: Type.Integer(), queued: Type.Integer(), warmInstances: Type.Integer() }, Exact),
  },
  Exact,
);
export type Workshop = Static<typeof WorkshopSchema>;

/** What a student sees of their workshop. */
export const WorkshopBriefSchema = Type.Object({ id: Type.String(), title: Type.String(), endsAt: Time }, Exact);
export type WorkshopBrief = Static<typeof WorkshopBriefSchema>;

/** `GET /api/join/:code`: what the join page shows before a name is given. */
export const JoinInfoSchema = Type.Object(
  { title: Type.String(), labs: Type.Array(Type.String()), endsAt: Time, roster: Nullable(Type.Array(Type.String())) },
  Exact,
);
export type JoinInfo = Static<typeof JoinInfoSchema>;

/** `POST /api/join` and `GET /api/me`: the student and their workshop. */
export const SessionSchema = Type.Object({ student: StudentSchema, workshop: WorkshopBriefSchema }, Exact);
export type Session = Static<typeof SessionSchema>;

export const FileInfoSchema = Type.Object(
  {
    name: Type.String(),
    /** Bytes. */
    size: Type.Integer({ minimum: 0 }),
    updatedAt: Nullable(Time),
    /** The saved content differs from the starter's. */
    modified: Type.Boolean(),
  },
  Exact,
);
export type FileInfo = Static<typeof FileInfoSchema>;
export const FileBodySchema = Type.Object({ ...FileInfoSchema.properties, content: Type.String() }, Exact);
export type FileBody = Static<typeof FileBodySchema>;

export const AttemptSummarySchema = Type.Object(
  {
    id: Type.Integer(),
    lab: Type.String(),
    status: AttemptStatusSchema,
    score: Nullable(Type.Number()),
    maxScore: Nullable(Type.Number()),
    startedAt: Time,
    finishedAt: Nullable(Time),
  },
  Exact,
);
export type AttemptSummary = Static<typeof AttemptSummarySchema>;

/** One check of a result (src/checks/types.ts's CheckResult). */
export const CheckResultSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    title: Type.String(),
    status: Literals(['passed', 'failed', 'skipped']),
    points: Type.Number(),
    maxPoints: Type.Number(),
    message: Type.String(),
    evidence: Type.Array(Type.String()),
  },
  Exact,
);
export type CheckResult = Static<typeof CheckResultSchema>;

/** One step of the exercise as it ran (src/exercise/observations.ts's StepRecord). */
export const StepRecordSchema = Type.Object(
  {
    index: Type.Integer(),
    description: Type.String(),
    status: Literals(['ok', 'failed']),
    message: Type.Optional(Type.String()),
    durationMs: Type.Number(),
  },
  Exact,
);

/**
 * An attempt's result: what `lab check --format json` prints (src/report/result.ts's GradeResult, less its
 * local `artifactsDir`). The keys the pages read are listed; the report's others (files, ladder ...) pass through.
 */
export const GradeResultSchema = Type.Object({
  lab: Type.String(),
  status: Literals(['passed', 'failed', 'error']),
  score: Type.Number(),
  maxScore: Type.Number(),
  passMark: Type.Number(),
  startedAt: Time,
  durationMs: Type.Number(),
  checks: Type.Array(CheckResultSchema),
  steps: Type.Array(StepRecordSchema),
  message: Type.Optional(Type.String()),
});
export type GradeResult = Static<typeof GradeResultSchema>;

/** A check the tool could not run to a result (the engine failed, the server restarted): only why. */
export const AttemptErrorSchema = Type.Object({ message: Type.Optional(Type.String()) }, Exact);

export const AttemptSchema = Type.Object(
  {
    ...AttemptSummarySchema.properties,
    /** null while running; the report, or only a message when the check could not give one. */
    result: Type.Union([GradeResultSchema, AttemptErrorSchema, Type.Null()]),
    /** Pcaps and program output, downloadable from `url`. */
    artifacts: Type.Array(Type.Object({ name: Type.String(), size: Type.Integer({ minimum: 0 }), url: Type.String() }, Exact)),
  },
  Exact,
);
export type Attempt = Static<typeof AttemptSchema>;

/** `POST /api/students/:sid/check`. */
export const CheckStartedSchema = Type.Object({ attemptId: Type.Integer() }, Exact);
export type CheckStarted = Static<typeof CheckStartedSchema>;

/** What the pages show of a lab. */
export const LabInfoSchema = Type.Object(
  {
    name: Type.String(),
    title: Type.String(),
    summary: Nullable(Type.String()),
    /** Markdown source; the page renders it safely. */
    readme: Type.Object({ en: Nullable(Type.String()), zh: Nullable(Type.String()) }, Exact),
    /** Mermaid source (`lab graph`). */
    graph: Type.String(),
    /** The files a student edits. */
    files: Type.Array(Type.String()),
    nodes: Type.Array(Type.String()),
    /** Every check, its title defaulted to its id. */
    checks: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), points: Type.Number() }, Exact)),
  },
  Exact,
);
export type LabInfo = Static<typeof LabInfoSchema>;

/** `GET /api/labs`: the labs of the labs folder that load. */
export const LabListSchema = Type.Array(Type.Object({ name: Type.String(), title: Type.String() }, Exact));
export type LabList = Static<typeof LabListSchema>;

/** `GET /api/events`: one JSON event per text frame. */
export const ServerEventSchema = Type.Union([
  Type.Object({ type: Type.Literal('student'), student: StudentSchema }, Exact),
  Type.Object(
    {
      type: Type.Literal('progress'),
      studentId: Type.String(),
      workshopId: Type.String(),
      attemptId: Nullable(Type.Integer()),
      line: Type.String(),
    },
    Exact,
  ),
  Type.Object({ type: Type.Literal('attempt'), studentId: Type.String(), workshopId: Type.String(), attempt: AttemptSummarySchema }, Exact),
  Type.Object({ type: Type.Literal('idle-warning'), studentId: Type.String(), workshopId: Type.String(), cullAt: Time }, Exact),
  Type.Object({ type: Type.Literal('workshop'), workshopId: Type.String(), workshop: WorkshopSchema }, Exact),
]);
export type ServerEvent = Static<typeof ServerEventSchema>;

/** Every refusal: `{error, message}`; `error` is a stable code, `message` says what to do next. */
export const ApiErrorBodySchema = Type.Object({ error: Type.String(), message: Type.String() }, Exact);
export type ApiErrorBody = Static<typeof ApiErrorBodySchema>;

// ---- request bodies: validated by the server (Fastify, with these schemas) before its own checks -------------

export const JoinRequestSchema = Type.Object({ code: Type.String(), name: Type.String() });
export type JoinRequest = Static<typeof JoinRequestSchema>;

export const AdminLoginRequestSchema = Type.Object({ token: Type.String() });
export type AdminLoginRequest = Static<typeof AdminLoginRequestSchema>;

export const SaveFileRequestSchema = Type.Object({ content: Type.String() });
export type SaveFileRequest = Static<typeof SaveFileRequestSchema>;

export const MoveLabRequestSchema = Type.Object({ lab: Type.String() });
export type MoveLabRequest = Static<typeof MoveLabRequestSchema>;

export const CreateWorkshopRequestSchema = Type.Object({
  /** In order, each once. */
  labs: Type.Array(Type.String(), { minItems: 1 }),
  /** Default: the first lab's title. */
  title: Type.Optional(Type.String()),
  /** 1 to 500; default 30. */
  capacity: Type.Optional(Type.Integer()),
  /** Default: three hours from now. */
  endsAt: Type.Optional(Time),
  roster: Type.Optional(Type.Array(Type.String())),
  /** 0 to 100; default the server's --warm. */
  warm: Type.Optional(Type.Integer()),
  /** Default `ordered`. */
  progression: Type.Optional(ProgressionSchema),
});
export type CreateWorkshopRequest = Static<typeof CreateWorkshopRequestSchema>;

export const PatchWorkshopRequestSchema = Type.Object({
  endsAt: Type.Optional(Time),
  capacity: Type.Optional(Type.Integer()),
  progression: Type.Optional(ProgressionSchema),
});
export type PatchWorkshopRequest = Static<typeof PatchWorkshopRequestSchema>;

// ---- the terminal WebSocket's text (control) frames -------------------------------------------------------

/** Server → page. `exit`: the shell ended, with its exit code (null when the engine did not report one). */
export type TerminalControl =
  { type: 'replay'; bytes: number } | { type: 'live' } | { type: 'exit'; code: number | null } | { type: 'error'; message: string };
/** Page → server. */
export type TerminalCommand = { type: 'resize'; cols: number; rows: number } | { type: 'pause' } | { type: 'resume' };
