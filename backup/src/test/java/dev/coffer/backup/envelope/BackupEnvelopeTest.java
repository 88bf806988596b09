package dev.coffer.backup.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.backup.TestData;
import dev.coffer.backup.keys.DataKey;
import dev.coffer.backup.storage.AbortableOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The envelope alone, on bytes in memory: its layout and every way a stored backup can lie. */
class BackupEnvelopeTest {
  private static final int MIB = 1 << 20;
  private final DataKey key = DataKey.generate();

  @ParameterizedTest
  @EnumSource(Compression.class)
  void everyCompressionRoundTrips(Compression compression) throws Exception {
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    SealedOutputStream sealed = BackupEnvelope.seal(stored, key, compression);
    TestData.write(sealed, 3 * MIB, 1);
    sealed.close();

    byte[] bytes = stored.toByteArray();
    assertThat(bytes[5]).isEqualTo((byte) compression.code);
    assertThat(sealed.bytesWritten()).isEqualTo(bytes.length);
    assertThat(sealed.plainBytes()).isEqualTo(3 * MIB);
    if (compression != Compression.NONE) {
      assertThat(sealed.bytesWritten()).isLessThan(3 * MIB);
    }
    assertThat(TestData.sha256(new ByteArrayInputStream(bytes))).isEqualTo(sealed.checksum());
    assertThat(TestData.sha256(open(bytes, sealed.checksum())))
        .isEqualTo(TestData.sha256(3 * MIB, 1));
  }

  @Test
  void byteByByteReadsAndWritesWorkToo() throws Exception {
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    SealedOutputStream sealed = BackupEnvelope.seal(stored, key);
    byte[] data = "hello, backup".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (byte b : data) {
      sealed.write(b);
    }
    sealed.close();

    ByteArrayOutputStream read = new ByteArrayOutputStream();
    try (InputStream in = open(stored.toByteArray(), sealed.checksum())) {
      for (int b; (b = in.read()) != -1; ) {
        read.write(b);
      }
    }
    assertThat(read.toByteArray()).isEqualTo(data);
  }

  @Test
  void framesSwappedOrDroppedAreRefused() throws Exception {
    Sealed s = seal(2 * MIB, Compression.NONE);
    List<byte[]> frames = s.frames();
    assertThat(frames).hasSizeGreaterThan(3);

    List<byte[]> swapped = new ArrayList<>(frames);
    swapped.set(1, frames.get(2));
    swapped.set(2, frames.get(1));
    assertRefused(s.with(swapped), s.checksum, "frame 1 failed authentication");

    List<byte[]> dropped = new ArrayList<>(frames);
    dropped.remove(1);
    assertRefused(s.with(dropped), s.checksum, "frame 1 failed authentication");
  }

  @Test
  void aFrameFromAnotherBackupWithTheSameKeyIsRefused() throws Exception {
    Sealed a = seal(MIB, Compression.NONE);
    Sealed b = seal(MIB, Compression.NONE);
    List<byte[]> spliced = new ArrayList<>(a.frames());
    spliced.set(1, b.frames().get(1));

    assertRefused(a.with(spliced), a.checksum, "frame 1 failed authentication");
  }

  @Test
  void aFrameFalselyFlaggedLastIsRefused() throws Exception {
    Sealed s = seal(MIB, Compression.NONE);
    byte[] first = s.frames().get(0).clone();
    first[0] = (byte) EnvelopeFormat.FLAG_LAST;

    assertRefused(s.with(List.of(first)), s.checksum, "frame 0 failed authentication");
  }

  @Test
  void bytesAfterTheFinalFrameAreRefused() throws Exception {
    Sealed s = seal(MIB, Compression.ZSTD);
    byte[] longer = Arrays.copyOf(s.bytes, s.bytes.length + 1);

    assertRefused(longer, s.checksum, "bytes after its final frame");
  }

  @Test
  void somethingThatIsNotABackupIsRefused() {
    byte[] junk = TestData.bytes(1000, 2);
    assertThatThrownBy(() -> open(junk, "00"))
        .isInstanceOf(BackupIntegrityException.class)
        .hasMessageContaining("not a Coffer backup");
    assertThatThrownBy(() -> open(new byte[0], "00"))
        .isInstanceOf(BackupIntegrityException.class)
        .hasMessageContaining("not a Coffer backup");
  }

  @Test
  void anIntegrityFailureIsPermanent() throws Exception {
    Sealed s = seal(MIB, Compression.NONE);
    InputStream in = open(s.bytes, "ff".repeat(32));
    assertThatThrownBy(() -> in.transferTo(java.io.OutputStream.nullOutputStream()))
        .isInstanceOf(BackupIntegrityException.class)
        .hasMessageContaining("checksum mismatch");

    assertThatThrownBy(in::read).isInstanceOf(BackupIntegrityException.class);
  }

  @Test
  void closingAHalfReadBackupStopsReadingItAndClosesItsSource() throws Exception {
    Sealed s = seal(8 * MIB, Compression.ZSTD);
    boolean[] sourceClosed = new boolean[1];
    InputStream source =
        new ByteArrayInputStream(s.bytes) {
          @Override
          public void close() {
            sourceClosed[0] = true;
          }
        };
    InputStream in = BackupEnvelope.open(source, key, s.checksum);
    assertThat(in.readNBytes(1000)).hasSize(1000);

    in.close();

    // the source is closed only once the read-ahead thread has stopped
    assertThat(sourceClosed[0]).isTrue();
    assertThatThrownBy(in::read).isInstanceOf(IOException.class);
  }

  @Test
  void theResultIsKnownOnlyAfterClose() throws Exception {
    SealedOutputStream sealed = BackupEnvelope.seal(new ByteArrayOutputStream(), key);
    sealed.write(1);

    assertThatThrownBy(sealed::checksum).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(sealed::bytesWritten).isInstanceOf(IllegalStateException.class);
    sealed.close();
    assertThat(sealed.checksum()).hasSize(64);
  }

  @Test
  void aSinkThatFailsMidwayIsAbortedNotSealed() throws Exception {
    FailingSink sink = new FailingSink(256 * 1024);
    SealedOutputStream sealed = BackupEnvelope.seal(sink, key, Compression.NONE);

    assertThatThrownBy(() -> TestData.write(sealed, MIB, 3)).hasMessageContaining("disk full");
    assertThatThrownBy(sealed::close).hasMessageContaining("nothing was stored");

    assertThat(sink.aborted).isTrue();
    assertThat(sink.closed).isFalse();
  }

  private InputStream open(byte[] stored, String checksum) throws IOException {
    return BackupEnvelope.open(new ByteArrayInputStream(stored), key, checksum);
  }

  private void assertRefused(byte[] stored, String checksum, String message) {
    assertThatThrownBy(() -> TestData.sha256(open(stored, checksum)))
        .isInstanceOf(BackupIntegrityException.class)
        .hasMessageContaining(message);
  }

  private Sealed seal(int size, Compression compression) throws IOException {
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    SealedOutputStream sealed = BackupEnvelope.seal(stored, key, compression);
    TestData.write(sealed, size, 4);
    sealed.close();
    return new Sealed(stored.toByteArray(), sealed.checksum());
  }

  /** A sealed backup taken apart into its header and frames, to reassemble wrongly. */
  private record Sealed(byte[] bytes, String checksum) {
    List<byte[]> frames() {
      List<byte[]> frames = new ArrayList<>();
      ByteBuffer in =
          ByteBuffer.wrap(
              bytes, EnvelopeFormat.HEADER_BYTES, bytes.length - EnvelopeFormat.HEADER_BYTES);
      while (in.hasRemaining()) {
        int start = in.position();
        in.get();
        int length = in.getInt();
        in.position(in.position() + length);
        frames.add(Arrays.copyOfRange(bytes, start, in.position()));
      }
      return frames;
    }

    byte[] with(List<byte[]> frames) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(bytes, 0, EnvelopeFormat.HEADER_BYTES);
      frames.forEach(out::writeBytes);
      return out.toByteArray();
    }
  }

  /** A store upload that fails like a full disk after {@code limit} bytes. */
  private static final class FailingSink extends AbortableOutputStream {
    private final long limit;
    private long written;
    boolean aborted;
    boolean closed;

    FailingSink(long limit) {
      this.limit = limit;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (written + len > limit) {
        throw new IOException("disk full");
      }
      written += len;
    }

    @Override
    public void close() {
      closed = true;
    }

    @Override
    public void abort() {
      aborted = true;
    }
  }
}
