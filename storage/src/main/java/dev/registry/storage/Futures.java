package dev.registry.storage;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for tasks that storage work hands to other threads. */
final class Futures {
    private Futures() {
    }

    /**
     * Waits until {@code task} is done, however it ends; the caller looks at its state. An
     * interrupt does not cut the wait short (the task may still be using what it was lent) and
     * is kept for the caller.
     */
    static void awaitUninterruptibly(Future<?> task) {
        boolean interrupted = false;
        while (!task.isDone()) {
            try {
                task.get();
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
