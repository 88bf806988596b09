package dev.coffer.agent.engines.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The backup container: a tar that GNU tar reads, and that our reader reads back. */
class TarArchiveTest {

  @Test
  void entriesWrittenAreReadBackInOrderWithTheirExactBytes() throws IOException {
    byte[] first = "user app on #abc ~* +@all\n".getBytes(StandardCharsets.UTF_8);
    byte[] second = new byte[TarArchive.BLOCK * 3 + 7];
    Arrays.fill(second, (byte) 'r');
    byte[] archive = archive(first, second);

    TarArchive.Reader reader = new TarArchive.Reader(new ByteArrayInputStream(archive));
    TarArchive.Entry a = reader.next().orElseThrow();
    assertThat(a.name()).isEqualTo("users.acl");
    assertThat(a.content().readAllBytes()).isEqualTo(first);
    TarArchive.Entry b = reader.next().orElseThrow();
    assertThat(b.name()).isEqualTo("dump.rdb");
    assertThat(b.size()).isEqualTo(second.length);
    // not read: the reader skips what is left of an entry
    assertThat(reader.next()).isEmpty();
  }

  @Test
  void gnuTarListsTheArchiveWithItsSizes() throws Exception {
    Path file = Files.createTempFile("coffer-tar", ".tar");
    try {
      Files.write(file, archive(new byte[5], new byte[1000]));

      String listing = tar("-tvf", file.toString());

      assertThat(listing)
          .containsPattern("\\s5 .*users\\.acl")
          .containsPattern("\\s1000 .*dump.rdb");
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void sizesBeyondUstarsEightGibibytesUseBase256() throws Exception {
    long nineGib = 9L << 30;
    byte[] header = TarArchive.header("dump.rdb", nineGib, 0);

    TarArchive.Entry entry =
        new TarArchive.Reader(new ByteArrayInputStream(header)).next().orElseThrow();
    assertThat(entry.size()).isEqualTo(nineGib);
    Path file = Files.createTempFile("coffer-tar", ".tar");
    try {
      Files.write(file, header);
      assertThat(tarIgnoringExit("-tvf", file.toString())).contains(Long.toString(nineGib));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void aTruncatedArchiveOrAMissingEndMarkerIsAnError() throws IOException {
    byte[] archive = archive(new byte[10], new byte[2000]);
    byte[] cutInEntry = Arrays.copyOf(archive, TarArchive.BLOCK * 3);
    byte[] noEnd = Arrays.copyOf(archive, archive.length - 2 * TarArchive.BLOCK);

    assertThatThrownBy(() -> readAll(cutInEntry))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("ends");
    assertThatThrownBy(() -> readAll(noEnd))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("end-of-archive");
  }

  @Test
  void aDamagedHeaderIsRefused() throws IOException {
    byte[] archive = archive(new byte[10], new byte[10]);
    archive[3] ^= 1; // a bit of the first name

    assertThatThrownBy(() -> readAll(archive)).hasMessageContaining("checksum");
  }

  private static byte[] archive(byte[] acl, byte[] rdb) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[64];
    TarArchive.writeEntry(out, "users.acl", acl.length, new ByteArrayInputStream(acl), buffer);
    TarArchive.writeEntry(out, "dump.rdb", rdb.length, new ByteArrayInputStream(rdb), buffer);
    TarArchive.writeEnd(out);
    return out.toByteArray();
  }

  private static void readAll(byte[] archive) throws IOException {
    TarArchive.Reader reader = new TarArchive.Reader(new ByteArrayInputStream(archive));
    while (reader.next().isPresent()) {
      // the reader skips each entry's content
    }
  }

  private static String tar(String... args) throws Exception {
    Process process = start(args);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }

  /** GNU tar lists the header, then complains that the 9 GiB of content are missing. */
  private static String tarIgnoringExit(String... args) throws Exception {
    Process process = start(args);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return output;
  }

  private static Process start(String... args) throws IOException {
    String[] command = new String[args.length + 1];
    command[0] = "tar";
    System.arraycopy(args, 0, command, 1, args.length);
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }
}
