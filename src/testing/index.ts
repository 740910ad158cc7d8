// `weir/testing`: test a topology without a broker, a registry or a database.
export { TopologyTestDriver, type DriverOptions } from './driver.ts';
export type { DecodedRecord, DlqEntry, RetryEntry, TestRecord } from './records.ts';
export type { HttpDelivery, ScriptedResponse } from './sinks/http.ts';
export type { TableRow } from './sinks/postgres.ts';
