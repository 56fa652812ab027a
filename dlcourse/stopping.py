"""Early stopping: watch the validation loss, stop after ``patience`` epochs without improvement, keep the best.

Book: chapter 06_regularisation, section "Early stopping".

The rule is Keras's ``EarlyStopping(patience, min_delta, restore_best_weights=True)`` and Prechelt's
(1998) "stop after k epochs without progress": epoch e *improves* when its validation loss is below the best
so far by more than ``min_delta``; a NaN never improves. Training stops at the first epoch that completes
``patience`` consecutive epochs without improvement, and the parameters to keep are those of the last
epoch that improved.
"""
import math

__all__ = ["early_stopping"]


def early_stopping(val_losses, patience, min_delta=0.0):
    """(best_epoch, stop_epoch): stop when `patience` epochs in a row fail to beat the best by more than min_delta.

    Shapes: val_losses a sequence of E numbers (the validation loss after epochs 0..E-1, the first one finite),
    patience a positive int -> (best_epoch, stop_epoch), two ints in 0..E-1 with best_epoch <= stop_epoch.
    stop_epoch is E-1 when the rule never fires (training ran to the end).
    """
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:          # False for NaN: a NaN epoch never improves
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1
