export const CONSUMER_VERSION = '0.1.0';
export const CONSUMER_NAME = `runc-trace-consumer ${CONSUMER_VERSION}`;
