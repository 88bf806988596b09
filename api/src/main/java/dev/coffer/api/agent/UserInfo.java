package dev.coffer.api.agent;

import java.util.List;

/** A user as the engine reports it: never includes a password. */
public record UserInfo(String name, String host, List<String> databases) {}
