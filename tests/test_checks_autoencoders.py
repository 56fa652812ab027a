"""The checks of chapter 08_autoencoders_pca: the references pass quietly at every setting, a stub reports
NotImplementedError, and a result that shares one field with a named mistake is not given its name. The mistakes
and correct variants themselves are the chapter's library, tests/grading/library/08_autoencoders_pca.py."""
import numpy as np
import pytest

import check_cases
from dlcourse import autoencoder as ae
from dlcourse import checks
from dlcourse import pca

CHECKS = {
    "pca_fit": (checks.check_pca_fit, ("pca_fit",)),
    "pca_transform": (checks.check_pca_transform, ("pca_transform", "pca_inverse_transform")),
    "pca_inverse_transform": (checks.check_pca_transform, ("pca_transform", "pca_inverse_transform")),
    "power_iteration": (checks.check_power_iteration, ("power_iteration",)),
    "linear_ae_loss_and_grads": (checks.check_linear_ae_loss_and_grads, ("linear_ae_loss_and_grads",)),
    "decoder_to_pca": (checks.check_decoder_to_pca, ("decoder_to_pca",)),
    "corrupt": (checks.check_denoising, ("corrupt", "dae_loss_and_grads")),
    "dae_loss_and_grads": (checks.check_denoising, ("corrupt", "dae_loss_and_grads")),
    "contractive_penalty": (checks.check_contractive_penalty, ("contractive_penalty",)),
}
REFERENCE = {"pca_fit": pca.pca_fit, "pca_transform": pca.pca_transform,
             "pca_inverse_transform": pca.pca_inverse_transform, "power_iteration": pca.power_iteration,
             "linear_ae_loss_and_grads": ae.linear_ae_loss_and_grads, "decoder_to_pca": ae.decoder_to_pca,
             "corrupt": ae.corrupt, "dae_loss_and_grads": ae.dae_loss_and_grads,
             "contractive_penalty": ae.contractive_penalty}
CHECK_NAMES = {"check_denoising": ("corrupt", "dae_loss_and_grads"),
               "check_pca_transform": ("pca_transform", "pca_inverse_transform")}


def run_check(exercise, student, **kwargs):
    check_cases.run_check(CHECKS, REFERENCE, exercise, student, **kwargs)


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("exercise", ["pca_fit", "pca_transform", "power_iteration", "linear_ae_loss_and_grads",
                                      "decoder_to_pca", "corrupt", "contractive_penalty"])
def test_reference_passes(exercise, seed, capsys):
    error = check_cases.outcome(run_check, exercise, REFERENCE[exercise], seed=seed)
    check_cases.assert_passed_quietly(error, capsys, CHECKS[exercise][1])


@pytest.mark.parametrize("exercise", list(CHECKS))
def test_stub_propagates_not_implemented(exercise, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError, match=f"^{exercise} is not implemented yet"):
        run_check(exercise, stub)
    assert capsys.readouterr().err == ""


def pca_fit_without_sign_rule_and_ddof_0(x, k):
    """Two mistakes at once: each alone is named, together neither may be."""
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    variance = s ** 2 / len(x)
    return pca.PCAState(mean, vt[:k] * -1, variance[:k], s[:k], float(variance.sum()))


def decoder_right_vectors_and_s2(w_dec, mu):
    _, s, vt = np.linalg.svd(w_dec, full_matrices=False)
    return pca.sign_rule(vt), s ** 2


HYBRIDS = [("pca_fit", pca_fit_without_sign_rule_and_ddof_0, "ddof 0"),
           ("decoder_to_pca", decoder_right_vectors_and_s2, "s^2 for the eigenvalues")]


@pytest.mark.parametrize("exercise, student, name", HYBRIDS, ids=[f"{e}: not '{n}'" for e, _, n in HYBRIDS])
def test_a_result_sharing_one_field_with_a_mistake_is_not_given_its_name(exercise, student, name, capsys):
    error = check_cases.outcome(run_check, exercise, student)
    assert error is not None and name not in str(error), str(error)
    assert capsys.readouterr().err == ""
