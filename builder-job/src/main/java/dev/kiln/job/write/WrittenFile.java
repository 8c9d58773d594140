package dev.kiln.job.write;

import java.io.Serializable;

/** A file a task wrote under a task-attempt name, to be committed by the driver. */
public record WrittenFile(String name, String attemptPath, long bytes, int crc32c)
    implements Serializable {}
