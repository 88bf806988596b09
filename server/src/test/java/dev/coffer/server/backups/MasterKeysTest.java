package dev.coffer.server.backups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.backup.keys.BackupKeyException;
import dev.coffer.backup.keys.DataKey;
import dev.coffer.backup.keys.MasterKey;
import dev.coffer.backup.keys.WrappedKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The master key file and its retired predecessors: rotation never leaves a key behind. */
class MasterKeysTest {
  @TempDir Path home;

  @Test
  void aRotatedKeyFileKeepsTheOldKeyBesideItAndBothLoadAtTheNextStart() throws Exception {
    Path file = home.resolve("master.key");
    MasterKeys keys = MasterKeys.inFile(file, List.of());
    MasterKey old = keys.current();
    WrappedKey wrappedByOld = old.wrap(DataKey.generate());

    MasterKey fresh = keys.rotate();

    assertThat(fresh.id()).isNotEqualTo(old.id());
    assertThat(MasterKey.load(file).id()).isEqualTo(fresh.id());
    Path retired = home.resolve("master.key.retired-" + old.id());
    assertThat(MasterKey.load(retired).id()).isEqualTo(old.id());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(home.resolve("master.key.next")).doesNotExist();

    MasterKeys reloaded = MasterKeys.inFile(file, List.of());
    assertThat(reloaded.current().id()).isEqualTo(fresh.id());
    assertThat(reloaded.ids()).containsExactly(fresh.id(), old.id());
    assertThat(reloaded.withId(old.id()).unwrap(wrappedByOld)).isNotNull();
  }

  @Test
  void aNewKeyLeftByARotationCutOffBeforeItTookEffectIsStillLoaded() throws Exception {
    Path file = home.resolve("master.key");
    MasterKey current = MasterKeys.inFile(file, List.of()).current();
    MasterKey unfinished = MasterKey.generate();
    Files.writeString(home.resolve("master.key.next"), unfinished.toBase64());

    MasterKeys keys = MasterKeys.inFile(file, List.of());

    assertThat(keys.current().id()).isEqualTo(current.id());
    assertThat(keys.ids()).contains(unfinished.id());
  }

  @Test
  void aKeyNobodyHoldsIsNamedWithWhereToFindIt() {
    MasterKeys keys =
        MasterKeys.given(MasterKey.generate().toBase64(), List.of(MasterKey.generate().toBase64()));
    assertThat(keys.rotatable()).isFalse();
    assertThat(keys.ids()).hasSize(2);
    assertThatThrownBy(() -> keys.withId("0123456789abcdef"))
        .isInstanceOf(BackupKeyException.class)
        .hasMessageContaining("master.key.retired-0123456789abcdef")
        .hasMessageContaining("COFFER_PREVIOUS_MASTER_KEYS");
  }
}
