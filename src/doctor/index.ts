/** `earshot doctor` as a library: run the checks, read or print the report. */
export { DEFAULT_BASE_URL, runDoctor, selectChecks } from './runner.js';
export { formatReport, summaryLine } from './format.js';
export { checkPastedRequest, parsePastedRequest } from './request/index.js';
export { CHECKS, summarize, type CheckName, type DoctorReport, type Finding, type Severity } from './finding.js';
export type { DoctorOptions, ServerFacts } from './context.js';
