package dev.coffer.api.agent;

/**
 * Result of {@link CommandType#READ_LOG}.
 *
 * @param offset where {@code data} starts in the file
 * @param data the bytes read (base64 in JSON); empty at the end of the file
 * @param size the file's size when it was read
 * @param headDigest as in {@link GuestLog#headDigest()}
 */
public record GuestLogChunk(String name, long offset, byte[] data, long size, String headDigest) {
  public GuestLogChunk {
    data = data == null ? new byte[0] : data.clone();
  }

  @Override
  public byte[] data() {
    return data.clone();
  }
}
