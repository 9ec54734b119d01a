//! Error-log analysis: reader, line parser, cause table, classifier,
//! aggregator.
