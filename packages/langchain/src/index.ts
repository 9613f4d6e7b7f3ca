/**
 * Countersign for LangChain.js and LangGraph: guarded tools as LangChain tools, approvals that
 * pause a graph (interrupt) or reach the model (ToolMessage), and a resumer.
 *
 * @packageDocumentation
 */
export { countersignTool, countersignTools, guardedToolOf } from './countersign-tool.js';
export type { ApprovalMode, CountersignLangChainTool, CountersignToolOptions } from './countersign-tool.js';
export { countersignMiddleware } from './middleware.js';
export type { CountersignMiddlewareOptions } from './middleware.js';
export { findApprovalInterrupts, resumeWhenDecided } from './resume-when-decided.js';
export type {
  ApprovalSettlement,
  InterruptibleGraph,
  PendingApprovalInterrupt,
  ResumeWhenDecidedOptions,
  ResumeWhenDecidedResult,
} from './resume-when-decided.js';
export { approvalDecidedKind, approvalPendingKind, isApprovalInterrupt } from './approval-interrupt.js';
export type { ApprovalDecision, ApprovalDecisionStatus, ApprovalInterrupt, HumanInTheLoopRequest } from './approval-interrupt.js';
export type {
  CountersignArtifact,
  DeniedArtifact,
  DoneArtifact,
  ExpiredArtifact,
  FailedArtifact,
} from './tool-messages.js';
export { MissingCheckpointerError } from './errors.js';
