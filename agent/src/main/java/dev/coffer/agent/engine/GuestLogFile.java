package dev.coffer.agent.engine;

import dev.coffer.api.agent.GuestLogType;
import java.nio.file.Path;

/**
 * One log of an engine.
 *
 * @param file the file the engine writes it to (may not exist yet); several logs may share a file
 *     when the engine has only one log stream
 */
public record GuestLogFile(String name, GuestLogType type, Path file, boolean enabled) {}
