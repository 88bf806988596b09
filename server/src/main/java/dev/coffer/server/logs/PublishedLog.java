package dev.coffer.server.logs;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What of one guest log is in the backup store: its metafile, beside the published pieces (the
 * labels are Trove's).
 *
 * @param size bytes of the log file published so far (the next publish starts there)
 * @param headDigest the file's first-line digest when it was published: a different one now means
 *     the file was rotated, and what was published belongs to the old file
 */
record PublishedLog(
    @JsonProperty("log_name") String name,
    @JsonProperty("log_type") String type,
    @JsonProperty("log_size") long size,
    @JsonProperty("log_header_digest") String headDigest) {

  static PublishedLog none(String name, String type) {
    return new PublishedLog(name, type, 0, "");
  }
}
