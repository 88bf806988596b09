package dev.coffer.agent.engines.redis;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;

/**
 * The smallest POSIX tar (ustar) writer and reader the Redis backup needs: regular files only,
 * streamed through a caller's buffer, never held whole in memory. A backup is thereby a plain tar
 * that any {@code tar} can list and unpack. Sizes beyond ustar's 8 GiB use the base-256 form that
 * GNU tar and bsdtar read.
 */
final class TarArchive {
  static final int BLOCK = 512;

  private static final int NAME_LENGTH = 100;
  private static final int SIZE_OFFSET = 124;
  private static final int SIZE_LENGTH = 12;
  private static final int CHECKSUM_OFFSET = 148;
  private static final int CHECKSUM_LENGTH = 8;
  private static final int TYPE_OFFSET = 156;
  private static final int MAGIC_OFFSET = 257;
  private static final int PREFIX_OFFSET = 345;
  private static final int PREFIX_LENGTH = 155;
  private static final long LARGEST_OCTAL_SIZE = 077777777777L;

  private TarArchive() {}

  /** One regular file of an archive being read; {@code content} yields exactly its bytes. */
  record Entry(String name, long size, InputStream content) {}

  /** Writes one regular file of exactly {@code size} bytes read from {@code content}. */
  static void writeEntry(
      OutputStream out, String name, long size, InputStream content, byte[] buffer)
      throws IOException {
    out.write(header(name, size, Instant.now().getEpochSecond()));
    long remaining = size;
    while (remaining > 0) {
      int read = content.read(buffer, 0, (int) Math.min(buffer.length, remaining));
      if (read < 0) {
        throw new EOFException(name + " ended " + remaining + " bytes before its size");
      }
      out.write(buffer, 0, read);
      remaining -= read;
    }
    out.write(new byte[padding(size)]);
  }

  /** The end-of-archive marker: two zero blocks. */
  static void writeEnd(OutputStream out) throws IOException {
    out.write(new byte[2 * BLOCK]);
  }

  static byte[] header(String name, long size, long mtime) {
    byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
    if (nameBytes.length > NAME_LENGTH) {
      throw new IllegalArgumentException("tar entry name too long: " + name);
    }
    byte[] header = new byte[BLOCK];
    System.arraycopy(nameBytes, 0, header, 0, nameBytes.length);
    octal(header, 100, 8, 0600); // mode
    octal(header, 108, 8, 0); // uid
    octal(header, 116, 8, 0); // gid
    if (size <= LARGEST_OCTAL_SIZE) {
      octal(header, SIZE_OFFSET, SIZE_LENGTH, size);
    } else {
      header[SIZE_OFFSET] = (byte) 0x80; // base-256: big-endian in the remaining 11 bytes
      for (int i = SIZE_LENGTH - 1, shift = 0; i > 0; i--, shift += 8) {
        header[SIZE_OFFSET + i] = (byte) (shift < Long.SIZE ? size >>> shift : 0);
      }
    }
    octal(header, 136, 12, mtime);
    header[TYPE_OFFSET] = '0';
    put(header, MAGIC_OFFSET, "ustar\0" + "00");
    Arrays.fill(header, CHECKSUM_OFFSET, CHECKSUM_OFFSET + CHECKSUM_LENGTH, (byte) ' ');
    String checksum = String.format("%06o", checksum(header)) + "\0 ";
    put(header, CHECKSUM_OFFSET, checksum);
    return header;
  }

  /** Zero-padded octal digits followed by a NUL, filling {@code length} bytes. */
  private static void octal(byte[] header, int offset, int length, long value) {
    put(header, offset, String.format("%0" + (length - 1) + "o", value) + "\0");
  }

  private static void put(byte[] header, int offset, String ascii) {
    byte[] bytes = ascii.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, header, offset, bytes.length);
  }

  private static long checksum(byte[] header) {
    long sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    return sum;
  }

  private static int padding(long size) {
    return (int) ((BLOCK - size % BLOCK) % BLOCK);
  }

  /**
   * Reads the entries of an archive in order. An archive that ends before its end-of-archive marker
   * (a truncated backup) is an error, not a shorter archive.
   */
  static final class Reader {
    private final InputStream in;
    private Bounded current;

    Reader(InputStream in) {
      this.in = in;
    }

    /** The next entry, or empty at the end-of-archive marker. Skips what is left of the last. */
    Optional<Entry> next() throws IOException {
      if (current != null) {
        current.skipRest();
        skipFully(padding(current.size));
        current = null;
      }
      byte[] header = readBlock();
      if (isZero(header)) {
        if (!isZero(readBlock())) {
          throw new IOException("tar archive has a single zero block inside it");
        }
        return Optional.empty();
      }
      long stored = parseOctal(header, CHECKSUM_OFFSET, CHECKSUM_LENGTH);
      Arrays.fill(header, CHECKSUM_OFFSET, CHECKSUM_OFFSET + CHECKSUM_LENGTH, (byte) ' ');
      if (stored != checksum(header)) {
        throw new IOException("tar header checksum does not match");
      }
      byte type = header[TYPE_OFFSET];
      if (type != '0' && type != 0) {
        throw new IOException("tar entry of type '" + (char) type + "' is not a regular file");
      }
      String name = text(header, 0, NAME_LENGTH);
      String prefix = text(header, PREFIX_OFFSET, PREFIX_LENGTH);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
      current = new Bounded(in, name, parseSize(header));
      return Optional.of(new Entry(name, current.size, current));
    }

    private byte[] readBlock() throws IOException {
      byte[] block = in.readNBytes(BLOCK);
      if (block.length < BLOCK) {
        throw new EOFException("tar archive ends before its end-of-archive marker");
      }
      return block;
    }

    private void skipFully(long bytes) throws IOException {
      try {
        in.skipNBytes(bytes);
      } catch (EOFException e) {
        throw new EOFException("tar archive ends inside an entry");
      }
    }

    private static boolean isZero(byte[] block) {
      for (byte b : block) {
        if (b != 0) {
          return false;
        }
      }
      return true;
    }

    private static long parseSize(byte[] header) throws IOException {
      if ((header[SIZE_OFFSET] & 0x80) != 0) {
        long size = 0;
        for (int i = 1; i < SIZE_LENGTH; i++) {
          if (size >>> 55 != 0) {
            throw new IOException("tar entry size too large");
          }
          size = (size << 8) | (header[SIZE_OFFSET + i] & 0xff);
        }
        return size;
      }
      return parseOctal(header, SIZE_OFFSET, SIZE_LENGTH);
    }

    private static long parseOctal(byte[] header, int offset, int length) throws IOException {
      String digits = text(header, offset, length).trim();
      try {
        return Long.parseLong(digits, 8);
      } catch (NumberFormatException e) {
        throw new IOException("tar header holds a malformed number");
      }
    }

    private static String text(byte[] header, int offset, int length) {
      int end = offset;
      while (end < offset + length && header[end] != 0) {
        end++;
      }
      return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
    }
  }

  /** An entry's content: exactly {@code size} bytes of the archive, never more. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private final String name;
    private final long size;
    private long remaining;

    Bounded(InputStream in, String name, long size) {
      this.in = in;
      this.name = name;
      this.size = size;
      this.remaining = size;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (remaining == 0) {
        return -1;
      }
      int read = in.read(buffer, offset, (int) Math.min(length, remaining));
      if (read < 0) {
        throw new EOFException("tar archive ends inside " + name);
      }
      remaining -= read;
      return read;
    }

    void skipRest() throws IOException {
      try {
        in.skipNBytes(remaining);
      } catch (EOFException e) {
        throw new EOFException("tar archive ends inside " + name);
      }
      remaining = 0;
    }

    /** The archive stays open: the reader closes its source. */
    @Override
    public void close() {}
  }
}
