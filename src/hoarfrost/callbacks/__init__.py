"""Callbacks: hooks into `fit` with Keras's names and call order, one module per family."""

from hoarfrost.callbacks.backup_and_restore import BackupAndRestore
from hoarfrost.callbacks.callback import Callback
from hoarfrost.callbacks.callback_list import CallbackList
from hoarfrost.callbacks.csv_logger import CSVLogger
from hoarfrost.callbacks.early_stopping import EarlyStopping
from hoarfrost.callbacks.fine_tuning import FreezeGuard, GradualUnfreezing
from hoarfrost.callbacks.history import History
from hoarfrost.callbacks.lambda_callback import LambdaCallback
from hoarfrost.callbacks.learning_rate_scheduler import LearningRateScheduler
from hoarfrost.callbacks.model_checkpoint import ModelCheckpoint
from hoarfrost.callbacks.monitor_callback import MonitorCallback
from hoarfrost.callbacks.progbar_logger import ProgbarLogger
from hoarfrost.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from hoarfrost.callbacks.remote_monitor import RemoteMonitor
from hoarfrost.callbacks.swap_ema_weights import SwapEMAWeights
from hoarfrost.callbacks.tensorboard import TensorBoard
from hoarfrost.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping",
           "FreezeGuard", "GradualUnfreezing", "History", "LambdaCallback",
           "LearningRateScheduler", "ModelCheckpoint", "MonitorCallback", "ProgbarLogger",
           "ReduceLROnPlateau", "RemoteMonitor", "SwapEMAWeights", "TensorBoard",
           "TerminateOnNaN"]
