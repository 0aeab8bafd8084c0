/** Version of the coordinator–worker wire protocol; peers with a different version are refused. */
export const PROTOCOL_VERSION = 1;
