/**
 * The lab model's types. They are the static types of the one source of the lab format (LabSchema in
 * src/lab/lab-schema.ts, from which schema/lab.schema.json is generated), so they cannot drift from it.
 */
import type { Static } from '../schema/vocabulary.js';
import type { ImpairmentSchema, InterfaceSchema, NetworkSchema, NodeSchema, RouteSchema } from '../schema/defs.js';
import type { ProgramSchema } from './lab-schema.js';
import type { ResolvedLab } from './resolve.js';

export type { CheckDef, CheckKindName } from '../checks/registry.js';
export type { StepDef } from '../exercise/step-kinds/registry.js';
export type { ProbeKind } from '../exercise/probe-kinds/registry.js';
export type { CaptureStep } from '../exercise/step-kinds/capture.js';
export type { CommandStep } from '../exercise/step-kinds/command.js';
export type { ProbeStep } from '../exercise/step-kinds/probe.js';
export type { RunStep } from '../exercise/step-kinds/run.js';
export type { StartStep } from '../exercise/step-kinds/start.js';
export type { StopStep } from '../exercise/step-kinds/stop.js';
export type { WaitStep } from '../exercise/step-kinds/wait.js';
export type { AnswerCheck, ObservedValue } from '../checks/answer.js';
export type { CaptureAnswerCheck, CaptureMatchCheck, TcpdumpCommandCheck, TcpFlagName } from '../checks/capture-match.js';
export type { HandshakeCheck } from '../checks/handshake.js';
export type { IcmpCheck } from '../checks/icmp.js';
export type { InterfaceCheck } from '../checks/interface.js';
export type { ErrnoName, ErrorCheck, ExitCheck, OutputCheck, OutputStream } from '../checks/output.js';
export type { ProcIoCheck } from '../checks/proc-io.js';
export type { RouteCheck } from '../checks/route.js';
export type { SockaddrCheck, SockaddrField } from '../checks/sockaddr.js';
export type { SocketCheck } from '../checks/socket.js';
export type { ByteExpectation, TcpDataCheck } from '../checks/tcp-data.js';
export type { TeardownCheck } from '../checks/teardown.js';
export type { TopTalkerCheck } from '../checks/top-talker.js';
export type { UdpCheck } from '../checks/udp.js';
export type { WindowCheck } from '../checks/window.js';

export type { LabFile } from './lab-schema.js';
import type { LabFile } from './lab-schema.js';
/** A valid lab file with the loader's one default applied: `programs` is `{}` when the file has none. */
export type LabDefinition = Omit<LabFile, 'programs'> & { programs: Record<string, ProgramDef> };
export type NetworkDef = Static<typeof NetworkSchema>;
/** A node's interface on one network: its addresses and the impairments of the link. */
export type InterfaceDef = Static<typeof InterfaceSchema>;
/** Link impairments on what leaves a node through one interface. */
export type ImpairmentDef = Static<typeof ImpairmentSchema>;
export type RouteDef = Static<typeof RouteSchema>;
export type NodeDef = Static<typeof NodeSchema>;
/** The capabilities a lab may give a node (nodes have none by default). */
export type Capability = NonNullable<NodeDef['capabilities']>[number];
export type ProgramDef = Static<typeof ProgramSchema>;

/**
 * A loaded lab: what resolveLab made of its file (src/lab/resolve.ts: name, title, networks, nodes, programs,
 * submissionFiles, passMark, maxScore, steps and checks, with their defaults and kinds) and where it came from.
 * Everything after loading reads those; `def`, the file as written, is for src/lab alone (eslint.config.js
 * refuses `.def` elsewhere in src/).
 */
export interface Lab extends ResolvedLab {
  /** The lab file as written (only the loader's `programs: {}` applied): src/lab's own. */
  def: LabDefinition;
  /** Absolute folder of the lab (programs resolve against it). */
  dir: string;
  /** Absolute path of lab.yaml. */
  file: string;
}
